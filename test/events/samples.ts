/** The catalogue of events/: which function (or rule) each sample is for, so that no sample goes untested. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../tools/local/template.ts";

export const eventsDir = join(repoRoot, "events");

export type SampleKind = "api" | "authorizer" | "sqs" | "eventbridge" | "schedule";

export interface Sample {
  file: string;
  kind: SampleKind;
  /** the function `sam local invoke -e events/<file> <functionId>` runs */
  functionId: string;
  /** for events on the bus: the rule that routes them (to the function's queue) */
  rule?: string;
}

export const SAMPLES: Sample[] = [
  { file: "products-list.json", kind: "api", functionId: "ProductsFunction" },
  { file: "products-export.json", kind: "api", functionId: "ProductsExportFunction" },
  { file: "authorizer-request.json", kind: "authorizer", functionId: "AuthorizerFunction" },
  { file: "audit-queue-batch.json", kind: "sqs", functionId: "AuditConsumerFunction" },
  { file: "order-placed.json", kind: "eventbridge", functionId: "AuditConsumerFunction", rule: "AuditEventsRule" },
  { file: "outbox-sweep-schedule.json", kind: "schedule", functionId: "OutboxSweeperFunction" },
];

/** The JSON files in events/. */
export const sampleFiles = () => readdirSync(eventsDir).filter((name) => name.endsWith(".json"));

// biome-ignore lint/suspicious/noExplicitAny: samples are checked field by field
export const readSample = (file: string): any => JSON.parse(readFileSync(join(eventsDir, file), "utf8"));

/** The structure of a JSON value without its values: keys, and for arrays the structure of the first item. */
export function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.length > 0 ? [shapeOf(value[0])] : [];
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, shapeOf((value as Record<string, unknown>)[key])]),
    );
  }
  return typeof value;
}
