/**
 * An in-memory stand-in for DynamoDB's Query and GetItem on the products table (and for the usage
 * meter's UpdateItem), speaking the DynamoDB JSON protocol, for benchmarks that must not measure
 * moto: moto's Query re-reads the whole partition for every page (about 0.8 s per 500-item page at
 * 10k items), so a 100k export would time moto, not the export. Each bench tenant's catalogue is
 * generated on demand (`count` items, ids in order), so a page costs O(page) like DynamoDB. Every
 * other request (STS, Cognito, SSM, the tenants table, unknown tenants) is forwarded untouched to the
 * upstream moto server.
 *
 * Run as a child process: `fork("dynamodb-stub.ts")` with STUB_UPSTREAM, STUB_TABLE, STUB_USAGE_TABLE
 * (optional) and STUB_TENANTS (JSON: tenant id -> item count); it sends `{ port }` once listening.
 * GET /__stub/stats counts what it served.
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { benchProductIndex, storedBenchProduct } from "./bench-catalogue.ts";

type StoredItem = ReturnType<typeof storedBenchProduct>;

const upstream = new URL(process.env.STUB_UPSTREAM ?? "");
const tableName = process.env.STUB_TABLE ?? "";
const usageTableName = process.env.STUB_USAGE_TABLE ?? "";
const tenants: Record<string, number> = JSON.parse(process.env.STUB_TENANTS ?? "{}");
const stats = { Query: 0, GetItem: 0, UpdateItem: 0, forwarded: 0, itemsServed: 0 };
/** the usage meter's counters: tenant id + day -> requests */
const usage = new Map<string, number>();

type Json = Record<string, unknown>;

/** Query on the table's partition key only, as the export and the list pages send it; undefined = not ours. */
function query(input: Json): Json | undefined {
  const values = input.ExpressionAttributeValues as Record<string, { S?: string }> | undefined;
  const tenantId = values?.[":tenantKey"]?.S;
  if (input.TableName !== tableName || input.IndexName || input.FilterExpression) return undefined;
  if (input.KeyConditionExpression !== "#tenantKey = :tenantKey" || !tenantId || !(tenantId in tenants))
    return undefined;
  const count = tenants[tenantId] as number;
  const startKey = input.ExclusiveStartKey as Record<string, { S?: string }> | undefined;
  const start = startKey ? (benchProductIndex(startKey.productId?.S) ?? count) + 1 : 0;
  // Without a Limit, DynamoDB stops at 1 MB: about 3,000 of these items.
  const limit = typeof input.Limit === "number" ? input.Limit : 3000;
  const end = Math.min(count, start + limit);
  const items: StoredItem[] = [];
  for (let index = start; index < end; index++) items.push(storedBenchProduct(tenantId, index));
  if (input.ScanIndexForward === false) items.reverse();
  stats.Query += 1;
  stats.itemsServed += items.length;
  const last = items[items.length - 1];
  // Like DynamoDB, a page that reached the Limit carries a LastEvaluatedKey, even if nothing follows.
  const lastEvaluatedKey =
    items.length === limit && last ? { tenantId: last.tenantId, productId: last.productId } : undefined;
  return {
    Items: items,
    Count: items.length,
    ScannedCount: items.length,
    ...(lastEvaluatedKey && { LastEvaluatedKey: lastEvaluatedKey }),
  };
}

function getItem(input: Json): Json | undefined {
  const key = input.Key as Record<string, { S?: string }> | undefined;
  const tenantId = key?.tenantId?.S;
  if (input.TableName !== tableName || !tenantId || !(tenantId in tenants)) return undefined;
  stats.GetItem += 1;
  const index = benchProductIndex(key?.productId?.S);
  return index !== undefined && index < (tenants[tenantId] as number)
    ? { Item: storedBenchProduct(tenantId, index) }
    : {};
}

/**
 * The usage meter's atomic counter (ADD requests :one, returning ALL_NEW) for bench tenants. The
 * quota condition is not evaluated: bench tenants are far below any tier's daily quota.
 */
function updateItem(input: Json): Json | undefined {
  const key = input.Key as Record<string, { S?: string }> | undefined;
  const tenantId = key?.tenantId?.S;
  if (!usageTableName || input.TableName !== usageTableName || !tenantId || !(tenantId in tenants)) return undefined;
  stats.UpdateItem += 1;
  const counter = `${tenantId}/${key?.day?.S}`;
  const requests = (usage.get(counter) ?? 0) + 1;
  usage.set(counter, requests);
  return { Attributes: { ...key, requests: { N: String(requests) } } };
}

function forward(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
  stats.forwarded += 1;
  const proxied = request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  proxied.on("error", (error) => {
    res.writeHead(502, { "content-type": "text/plain" });
    res.end(`stub could not reach ${upstream.href}: ${error.message}`);
  });
  proxied.end(body);
}

const server = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  if (req.method === "GET" && req.url === "/__stub/stats") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(stats));
    return;
  }
  const target = String(req.headers["x-amz-target"] ?? "");
  let answer: Json | undefined;
  if (target === "DynamoDB_20120810.Query") answer = query(JSON.parse(body.toString("utf8")));
  else if (target === "DynamoDB_20120810.GetItem") answer = getItem(JSON.parse(body.toString("utf8")));
  else if (target === "DynamoDB_20120810.UpdateItem") answer = updateItem(JSON.parse(body.toString("utf8")));
  if (!answer) return forward(req, body, res);
  const payload = JSON.stringify(answer);
  res.writeHead(200, {
    "content-type": "application/x-amz-json-1.0",
    "content-length": Buffer.byteLength(payload),
    "x-amzn-requestid": "bench-stub",
  });
  res.end(payload);
});

if (process.send) {
  server.listen(0, "127.0.0.1", () => process.send?.({ port: (server.address() as AddressInfo).port }));
  process.on("disconnect", () => process.exit(0));
}
