/** Runs every sample of events/ through the built function it is for, on the local stack (moto, seeded demo data). */
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { localAwsEnv } from "../../tools/local/aws-env.ts";
import { buildDir } from "../../tools/local/build.ts";
import {
  createLocalLambda,
  type InvocationOutcome,
  type LocalLambda,
  type StreamMetadata,
} from "../../tools/local/gateway/index.ts";
import { provision } from "../../tools/local/provision.ts";
import { LOCAL_STACK_NAME, LOCAL_STAGE } from "../../tools/local/stack.ts";
import { loadTemplate, type ResolveContext } from "../../tools/local/template.ts";
import { api } from "../e2e/client.ts";
import { readSample, SAMPLES } from "./samples.ts";

const ACME_ADMIN = "admin@acme.test";
const stack = inject("localStack");
let context: ResolveContext;
let lambda: LocalLambda;

beforeAll(async () => {
  // This process's SDK clients (PutEvents below) reach the stack's moto; provisioning again reuses
  // every resource and only reads back what Ref/GetAtt resolve to.
  Object.assign(process.env, localAwsEnv(stack.endpoint));
  context = await provision({
    endpoint: stack.endpoint,
    stackName: LOCAL_STACK_NAME,
    parameters: { Stage: LOCAL_STAGE },
  });
  lambda = createLocalLambda({
    template: loadTemplate(),
    buildDir,
    resolveContext: context,
    extraEnv: localAwsEnv(stack.endpoint),
    log: () => {},
  });
});
afterAll(() => lambda?.close());

const sampleFor = (file: string) => SAMPLES.find((sample) => sample.file === file) as (typeof SAMPLES)[number];

async function invoke(file: string): Promise<InvocationOutcome> {
  return lambda.invoke(sampleFor(file).functionId, readSample(file));
}

// biome-ignore lint/suspicious/noExplicitAny: Lambda payloads are checked field by field
const payloadOf = (outcome: InvocationOutcome): any => {
  expect(outcome.status, JSON.stringify(outcome)).toBe("succeeded");
  return outcome.status === "succeeded" ? outcome.payload : undefined;
};

/** Every product id of acme's catalogue, read through the gateway as acme's admin. */
async function acmeProductIds(): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await api("GET", `/products?limit=100${cursor ? `&cursor=${cursor}` : ""}`, { as: ACME_ADMIN });
    expect(page.status).toBe(200);
    for (const product of page.body.items) ids.add(product.id);
    cursor = page.body.nextCursor;
  } while (cursor);
  return ids;
}

/** Pages through acme's audit trail (newest first) until an entry with `eventId` shows up, or the time is up. */
async function auditEntry(eventId: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let cursor: string | undefined;
    do {
      const page = await api("GET", `/audit?limit=100${cursor ? `&cursor=${cursor}` : ""}`, { as: ACME_ADMIN });
      expect(page.status).toBe(200);
      const entry = page.body.items.find((item: { eventId: string }) => item.eventId === eventId);
      if (entry) return entry;
      cursor = page.body.nextCursor;
    } while (cursor);
    if (Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe("each sample event, through the built function it is for", () => {
  it("products-list.json: one page of the tenant's products, the correlation id echoed", async () => {
    const result = payloadOf(await invoke("products-list.json"));
    expect(result.statusCode).toBe(200);
    const body = JSON.parse(result.body);
    expect(body.items.length).toBeGreaterThan(0);
    expect(body.items.length).toBeLessThanOrEqual(2);
    const acme = await acmeProductIds();
    expect(body.items.every((product: { id: string }) => acme.has(product.id))).toBe(true);
    expect(result.multiValueHeaders["x-correlation-id"]).toEqual(["sample-correlation-id"]);
  });

  it("products-export.json: the tenant's products streamed as NDJSON", async () => {
    let metadata: StreamMetadata | undefined;
    const chunks: Buffer[] = [];
    const outcome = await lambda.invoke(
      sampleFor("products-export.json").functionId,
      readSample("products-export.json"),
      {
        onMetadata: (m) => {
          metadata = m;
        },
        onChunk: (chunk) => {
          chunks.push(chunk);
        },
        onEnd: () => {},
      },
    );
    expect(outcome.status).toBe("streamed");
    expect(metadata?.statusCode).toBe(200);
    const lines = Buffer.concat(chunks)
      .toString()
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    expect(lines.length).toBeGreaterThan(0);
    const acme = await acmeProductIds();
    expect(lines.every((product) => acme.has(product.id))).toBe(true);
  });

  it("authorizer-request.json: its placeholder token is refused with Unauthorized (a 401 at API Gateway)", async () => {
    const outcome = await invoke("authorizer-request.json");
    expect(outcome).toMatchObject({ status: "failed", error: { errorMessage: "Unauthorized" } });
  });

  it("audit-queue-batch.json: every message recorded in its tenant's audit trail, no batch item failure", async () => {
    const result = payloadOf(await invoke("audit-queue-batch.json"));
    expect(result).toEqual({ batchItemFailures: [] });
    const event = JSON.parse(readSample("audit-queue-batch.json").Records[0].body);
    expect(await auditEntry(event.detail.eventId, 0)).toMatchObject({
      type: "OrderPlaced",
      source: "tenantkit.orders",
      correlationId: event.detail.correlationId,
      data: event.detail.data,
    });
    // Delivered again (at least once delivery): still no failure, still one entry.
    expect(payloadOf(await invoke("audit-queue-batch.json"))).toEqual({ batchItemFailures: [] });
  });

  it("order-placed.json: put on the stack's bus, the audit rule routes it to the consumer", async () => {
    const event = readSample("order-placed.json");
    const client = new EventBridgeClient({});
    try {
      const sent = await client.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: context.refs.EventBus,
              Source: event.source,
              DetailType: event["detail-type"],
              Detail: JSON.stringify(event.detail),
            },
          ],
        }),
      );
      expect(sent.FailedEntryCount).toBe(0);
    } finally {
      client.destroy();
    }
    expect(await auditEntry(event.detail.eventId)).toMatchObject({ type: "OrderPlaced", data: event.detail.data });
  });

  it("outbox-sweep-schedule.json: the sweeper runs and reports what it published", async () => {
    const result = payloadOf(await invoke("outbox-sweep-schedule.json"));
    expect(result).toEqual({ published: expect.any(Number), failed: 0 });
  });
});
