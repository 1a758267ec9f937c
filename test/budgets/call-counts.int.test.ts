/**
 * CI gate: the AWS calls each request type and each cache makes, counted by a loopback proxy in
 * front of moto (bench/support/counting-proxy.ts). The expectations live in bench/call-counts.ts and
 * are listed in docs/BENCHMARKS.md; counts are stable where timings are not, so they are exact.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { type AssumeRoleCommandOutput, STSClient } from "@aws-sdk/client-sts";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import {
  type AppConfig,
  createAppConfig,
  createTenantCredentials,
  createTenantDataSource,
  createTenantRegistry,
  createTenantSecrets,
  type TenantCredentials,
  USAGE_TABLE_NAME,
} from "@tenantkit/tenant-context";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { CALL_EXPECTATIONS, exportQueries } from "../../bench/call-counts.ts";
import { type CountingProxy, startCountingProxy } from "../../bench/support/counting-proxy.ts";
import { createProductsApp } from "../../functions/products/app.ts";
import { createProductStore } from "../../functions/products/product-store.ts";
import { EXPORT_PAGE_SIZE } from "../../functions/products/use-cases/export-products.ts";

const { endpoint, context } = inject("localAws");
const productsTable = context.refs.ProductsTable as string;
const tenantsTable = context.refs.TenantsTable as string;
const roleArn = context.attributes["TenantDataRole.Arn"] as string;
const stage = context.parameters.Stage as string;
const suffix = Date.now().toString(36);
const tenant = (name: string) => `calls-${name}-${suffix}`;
const input = { name: "Lamp", priceCents: 4500, currency: "EUR", stock: 2 };

/** The gate's title: the request and what it must send, as listed in docs/BENCHMARKS.md. */
function gate(id: string): string {
  const expectation = CALL_EXPECTATIONS.find((e) => e.id === id);
  if (!expectation) throw new Error(`no call expectation '${id}' in bench/call-counts.ts`);
  return `${expectation.when}: ${expectation.expected}`;
}

let proxy: CountingProxy;
let endpointBefore: string | undefined;
/** every call of the file, never reset: the Scan check reads it at the end */
const everyCall: CountingProxy["calls"] = [];

// Clients made by the test itself talk to moto directly, so they are never counted.
const admin = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint }));
const secretsAdmin = new SecretsManagerClient({ endpoint });

async function registerTenant(tenantId: string): Promise<void> {
  const now = new Date().toISOString();
  await admin.send(
    new PutCommand({
      TableName: tenantsTable,
      Item: { tenantId, name: tenantId, tier: "basic", status: "ACTIVE", createdAt: now, updatedAt: now },
    }),
  );
}

/** A products app whose AWS clients all go through the proxy; `metering` counts requests on the usage table. */
function productsApp(credentials: TenantCredentials = createTenantCredentials({ roleArn }), metering = false) {
  const usageTable = context.refs.UsageTable as string;
  const tables = { products: productsTable, ...(metering && { [USAGE_TABLE_NAME]: usageTable }) };
  const config: AppConfig = createAppConfig({ stage });
  return createProductsApp({
    tables,
    dataSource: createTenantDataSource({ tables, credentials }),
    registry: createTenantRegistry({ tableName: tenantsTable }),
    config,
    metering,
  });
}

/** What API Gateway passes on after the Lambda authorizer allowed the request. */
const viaAuthorizer = (tenantId: string) => ({
  event: {
    requestContext: {
      requestId: `req-${tenantId}`,
      authorizer: { tenantId, tier: "basic", userId: "u1", roles: "tenant-admin" },
    },
  },
});

/** DynamoDB operations the products table received since the last reset, by operation. */
function productsTableCalls(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of proxy.calls) {
    if (call.service === "dynamodb" && call.table === productsTable) {
      counts[call.operation] = (counts[call.operation] ?? 0) + 1;
    }
  }
  return counts;
}

function resetCounts() {
  everyCall.push(...proxy.calls);
  proxy.reset();
}

beforeAll(async () => {
  proxy = await startCountingProxy(endpoint);
  endpointBefore = process.env.AWS_ENDPOINT_URL;
  process.env.AWS_ENDPOINT_URL = proxy.url;
});

afterAll(async () => {
  process.env.AWS_ENDPOINT_URL = endpointBefore;
  await proxy.close();
});

describe("DynamoDB calls per request type (products service)", () => {
  const owner = tenant("crud");
  let app: ReturnType<typeof productsApp>;
  const json = (body: unknown) => ({
    method: "POST",
    body: JSON.stringify(body),
    headers: { "Content-Type": "application/json" },
  });

  beforeAll(async () => {
    await registerTenant(owner);
    app = productsApp();
  });

  it(gate("create"), async () => {
    resetCounts();
    const res = await app.request("/products", json(input), viaAuthorizer(owner));
    expect(res.status).toBe(201);
    expect(productsTableCalls()).toEqual({ PutItem: 1 });
  });

  it(gate("get"), async () => {
    const created = await (await app.request("/products", json(input), viaAuthorizer(owner))).json();
    resetCounts();
    const res = await app.request(`/products/${created.id}`, {}, viaAuthorizer(owner));
    expect(res.status).toBe(200);
    expect(productsTableCalls()).toEqual({ GetItem: 1 });
  });

  it(gate("replace"), async () => {
    const created = await (await app.request("/products", json(input), viaAuthorizer(owner))).json();
    resetCounts();
    const res = await app.request(
      `/products/${created.id}`,
      {
        ...json({ ...input, name: "Lamp v2" }),
        method: "PUT",
        headers: { "Content-Type": "application/json", "If-Match": `"${created.version}"` },
      },
      viaAuthorizer(owner),
    );
    expect(res.status).toBe(200);
    expect(productsTableCalls()).toEqual({ GetItem: 1, PutItem: 1 });
  });

  it(gate("delete"), async () => {
    const created = await (await app.request("/products", json(input), viaAuthorizer(owner))).json();
    resetCounts();
    const res = await app.request(`/products/${created.id}`, { method: "DELETE" }, viaAuthorizer(owner));
    expect(res.status).toBe(204);
    expect(productsTableCalls()).toEqual({ DeleteItem: 1 });
  });

  it(gate("metered"), async () => {
    const metered = productsApp(undefined, true);
    const created = await (await metered.request("/products", json(input), viaAuthorizer(owner))).json();
    resetCounts();
    for (let i = 0; i < 3; i++) {
      expect((await metered.request(`/products/${created.id}`, {}, viaAuthorizer(owner))).status).toBe(200);
    }
    expect(productsTableCalls()).toEqual({ GetItem: 3 });
    const usageTable = context.refs.UsageTable as string;
    expect(proxy.count({ service: "dynamodb", table: usageTable })).toBe(3);
    expect(proxy.count({ service: "dynamodb", operation: "UpdateItem", table: usageTable })).toBe(3);
  });

  it(gate("list-page"), async () => {
    resetCounts();
    const res = await app.request("/products?limit=2", {}, viaAuthorizer(owner));
    expect(res.status).toBe(200);
    expect(productsTableCalls()).toEqual({ Query: 1 });
  });

  it(gate("list-pages"), async () => {
    const pager = tenant("pages");
    await registerTenant(pager);
    for (let i = 0; i < 5; i++) await app.request("/products", json(input), viaAuthorizer(pager));
    resetCounts();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const query = cursor ? `limit=2&cursor=${cursor}` : "limit=2";
      const page = await (await app.request(`/products?${query}`, {}, viaAuthorizer(pager))).json();
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(productsTableCalls()).toEqual({ Query: 3 });
  });

  it(gate("export"), async () => {
    const exporter = tenant("export");
    await registerTenant(exporter);
    const size = EXPORT_PAGE_SIZE + 1;
    const store = createProductStore(
      createTenantDataSource({ tables: { products: productsTable } })
        .forTenant(exporter)
        .table("products"),
    );
    let next = 0;
    const seed = async () => {
      while (next < size) {
        const id = `00000000-0000-4000-8000-${String(next++).padStart(12, "0")}`;
        await store.create({
          ...input,
          id,
          version: 1,
          createdAt: "2026-01-01T00:00:00Z",
          updatedAt: "2026-01-01T00:00:00Z",
        });
      }
    };
    await Promise.all(Array.from({ length: 8 }, seed));
    resetCounts();
    const res = await app.request("/products/export", {}, viaAuthorizer(exporter));
    const lines = (await res.text()).trim().split("\n");
    expect(lines).toHaveLength(size);
    expect(productsTableCalls()).toEqual({ Query: exportQueries(size) });
  }, 60_000);
});

/**
 * An STS client (through the proxy) whose credentials expire one hour after the test's own clock:
 * moto dates them by its real clock, which the test cannot move, and the test moves time forward.
 */
function stsOnTheTestClock(): STSClient {
  const sts = new STSClient({});
  sts.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const { Credentials } = result.output as AssumeRoleCommandOutput;
      if (Credentials) Credentials.Expiration = new Date(Date.now() + 3_600_000);
      return result;
    },
    { step: "initialize", name: "credentialsOnTheTestClock" },
  );
  return sts;
}

describe("plumbing calls per cache window", () => {
  it(gate("sts"), async () => {
    const [first, second] = [tenant("sts-a"), tenant("sts-b")];
    await Promise.all([registerTenant(first), registerTenant(second)]);
    await secretsAdmin.send(
      new CreateSecretCommand({ Name: `/${stage}/tenants/${first}/bench/api-key`, SecretString: "k" }),
    );
    const credentials = createTenantCredentials({ roleArn, sts: stsOnTheTestClock() });
    const app = productsApp(credentials);
    const secrets = createTenantSecrets({ stage, credentials });
    resetCounts();
    for (let i = 0; i < 10; i++) {
      expect((await app.request("/products?limit=1", {}, viaAuthorizer(first))).status).toBe(200);
      expect((await app.request("/products?limit=1", {}, viaAuthorizer(second))).status).toBe(200);
    }
    expect(await secrets.forTenant(first).get("bench/api-key")).toBe("k");
    expect(proxy.count({ service: "sts", operation: "AssumeRole" })).toBe(2);

    // Near the end of the credentials' lifetime (1 h, refreshed 5 min early): exactly one more.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 3_400_000 });
    try {
      expect((await app.request("/products?limit=1", {}, viaAuthorizer(first))).status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
    expect(proxy.count({ service: "sts", operation: "AssumeRole" })).toBe(3);
    for (let i = 0; i < 5; i++) await app.request("/products?limit=1", {}, viaAuthorizer(first));
    expect(proxy.count({ service: "sts", operation: "AssumeRole" })).toBe(3);
  });

  it(gate("registry"), async () => {
    const [first, second] = [tenant("reg-a"), tenant("reg-b")];
    await Promise.all([registerTenant(first), registerTenant(second)]);
    const registry = createTenantRegistry({ tableName: tenantsTable, maxAgeSeconds: 1 });
    resetCounts();
    for (let i = 0; i < 20; i++) {
      expect((await registry.get(first))?.status).toBe("ACTIVE");
      await registry.get(second);
    }
    expect(proxy.count({ service: "dynamodb", operation: "GetItem", table: tenantsTable })).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    for (let i = 0; i < 5; i++) await registry.get(first);
    expect(proxy.count({ service: "dynamodb", operation: "GetItem", table: tenantsTable })).toBe(3);
  });

  it(gate("secrets"), async () => {
    const owner = tenant("secrets");
    await secretsAdmin.send(
      new CreateSecretCommand({ Name: `/${stage}/tenants/${owner}/bench/api-key`, SecretString: "s1" }),
    );
    const secrets = createTenantSecrets({ stage, maxAgeSeconds: 1 }).forTenant(owner);
    resetCounts();
    for (let i = 0; i < 20; i++) expect(await secrets.get("bench/api-key")).toBe("s1");
    expect(proxy.count({ service: "secretsmanager", operation: "GetSecretValue" })).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    for (let i = 0; i < 5; i++) await secrets.get("bench/api-key");
    expect(proxy.count({ service: "secretsmanager", operation: "GetSecretValue" })).toBe(2);
  });

  it(gate("config"), async () => {
    const config = createAppConfig({ stage, maxAgeSeconds: 1 });
    resetCounts();
    for (let i = 0; i < 20; i++) await config.getJson("tiers");
    expect(proxy.count({ service: "ssm" })).toBe(1);
    expect(proxy.count({ service: "ssm", operation: "GetParameter" })).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    for (let i = 0; i < 5; i++) await config.getJson("tiers");
    expect(proxy.count({ service: "ssm", operation: "GetParameter" })).toBe(2);
  });

  it(gate("no-scan"), () => {
    resetCounts();
    expect(everyCall.length).toBeGreaterThan(0);
    expect(everyCall.filter((call) => call.service === "dynamodb" && call.operation === "Scan")).toEqual([]);
  });
});
