/**
 * Diagnostic for the streaming benchmark, run in a fresh process per sample by bench/streaming.ts:
 * the export handler (streamHandle) invoked in process, no gateway, over an in-memory catalogue of
 * `size` products, twice; then the process's peak RSS and its heap after a full GC. `per-line` is
 * the products app as it is (one write per product); `per-page` is the same store and pages with one
 * write per 500-item page. Comparing them says whether memory follows the number of chunks.
 *
 * Usage: node --import tsx <lambdaNodeArguments(), --expose-gc among them> bench/streaming-memory-worker.ts <size> <per-line|per-page> <result.json>
 */
import { writeFileSync } from "node:fs";
import { Writable } from "node:stream";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createServiceApp } from "@tenantkit/shared/service-app";
import {
  type AppConfig,
  createTenantScopedTable,
  type TenantDataSource,
  type TenantRegistry,
} from "@tenantkit/tenant-context";
import { benchProduct, benchProductIndex } from "./support/bench-catalogue.ts";
import { benchAuthorizer, lambdaContext, restEvent } from "./support/events.ts";
import { processMemory } from "./support/proc-memory.ts";

const [sizeArg = "1000", mode = "per-line", output = ""] = process.argv.slice(2);
const size = Number(sizeArg);
const TENANT = "bench-memory";

/** The status of the last answer: anything but 200 would measure the wrong path (a 401, say). */
let answeredStatus: number | undefined;
Object.assign(globalThis, {
  awslambda: {
    streamifyResponse: (handler: unknown) => handler,
    HttpResponseStream: {
      from: (s: unknown, metadata: { statusCode?: number }) => {
        answeredStatus = metadata.statusCode;
        return s;
      },
    },
  },
});
// Loaded after awslambda exists, as on Lambda.
const { streamHandle } = await import("hono/aws-lambda");
const { stream } = await import("hono/streaming");
const { createProductsApp } = await import("../functions/products/app.ts");
const { createProductStore } = await import("../functions/products/product-store.ts");
const { EXPORT_PAGE_SIZE } = await import("../functions/products/use-cases/export-products.ts");

const client = {
  send: async (command: { input: { ExclusiveStartKey?: { productId: string }; Limit: number } }) => {
    const { ExclusiveStartKey: startKey, Limit: limit } = command.input;
    const start = startKey ? (benchProductIndex(startKey.productId) ?? size) + 1 : 0;
    const end = Math.min(size, start + limit);
    const Items = [];
    for (let i = start; i < end; i++) Items.push(benchProduct(TENANT, i));
    const last = Items.at(-1);
    return {
      Items,
      LastEvaluatedKey: end - start === limit && last ? { tenantId: TENANT, productId: last.productId } : undefined,
    };
  },
} as unknown as DynamoDBDocumentClient;
const dataSource: TenantDataSource = {
  forTenant: (tenantId) => ({ table: (name) => createTenantScopedTable({ client, tableName: name, tenantId }) }),
};
const registry: TenantRegistry = {
  get: async (tenantId) => ({
    tenantId,
    name: "Bench",
    tier: "premium",
    status: "ACTIVE",
    // Readable, and before any token: a record without a creation time refuses every token.
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
  }),
};
const config = { getJson: async () => ({}) } as unknown as AppConfig;
const options = { dataSource, registry, config };

function perPageApp() {
  const app = createServiceApp(options);
  app.get("/products/export", (c) => {
    const store = createProductStore(c.var.data.table("products"));
    c.header("Content-Type", "application/x-ndjson");
    return stream(c, async (out) => {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await store.page(EXPORT_PAGE_SIZE, startKey);
        await out.write(page.items.map((product) => `${JSON.stringify(product)}\n`).join(""));
        startKey = page.nextKey;
      } while (startKey);
    });
  });
  return app;
}

const app = mode === "per-page" ? perPageApp() : createProductsApp(options);
const handler = streamHandle(app) as unknown as (event: unknown, stream: Writable, context: unknown) => Promise<void>;
let bytes = 0;
for (let run = 0; run < 2; run++) {
  // A consumer that takes each chunk on the next turn, like a socket that keeps up.
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      setImmediate(callback);
    },
  });
  await handler(restEvent({ path: "/products/export", authorizer: benchAuthorizer(TENANT) }), sink, lambdaContext());
  if (answeredStatus !== 200) throw new Error(`the export answered ${answeredStatus}: it would measure the wrong path`);
}
const peak = processMemory(process.pid).peakRssMiB;
globalThis.gc?.();
writeFileSync(
  output,
  JSON.stringify({ size, mode, bytes, peakRssMiB: peak, heapAfterGcMiB: process.memoryUsage().heapUsed / 2 ** 20 }),
);
