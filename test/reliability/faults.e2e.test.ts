/**
 * Injected AWS faults (OWASP API10, plain reliability). A stack of this file's own (moto, the
 * template's resources, the gateway) reaches AWS through a fault proxy, so DynamoDB can throttle,
 * fail, lose an answer, or disappear in the middle of a request, and moto itself can be stopped,
 * without touching the stack the other suites share. Properties: throttling and transient errors
 * are retried by the SDK and surface only after retries, as 503 problem+json with Retry-After;
 * an outage is a 503, never a 500 or a 401; and what the client is told matches what is stored.
 */
import "../security/support/quiet.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localAwsEnv } from "../../tools/local/aws-env.ts";
import { buildDir } from "../../tools/local/build.ts";
import { type Gateway, startGateway } from "../../tools/local/gateway/index.ts";
import { type MotoServer, startMoto } from "../../tools/local/moto.ts";
import { provision } from "../../tools/local/provision.ts";
import { LOCAL_STACK_NAME, LOCAL_STAGE } from "../../tools/local/stack.ts";
import { loadTemplate } from "../../tools/local/template.ts";
import { type Api, type ApiResponse, apiAs, PROBLEM_CONTENT_TYPE } from "../security/support/http.ts";
import { onboardTestTenant, type StackWithResources, type TestTenant } from "../security/support/local-stack.ts";
import { type FaultProxy, type FaultRule, startFaultProxy } from "./fault-proxy.ts";

let moto: MotoServer;
let proxy: FaultProxy;
let gateway: Gateway;
let stack: StackWithResources;
let tenant: TestTenant;
/** a tenant the authorizer has never seen: its first request needs the tenants table */
let unseen: TestTenant;
let api: Api;
let productsTable: string;

const template = loadTemplate();
const silent = () => {};

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, localAwsEnv(moto.endpoint));
  const context = await provision({
    endpoint: moto.endpoint,
    template,
    stackName: LOCAL_STACK_NAME,
    parameters: { Stage: LOCAL_STAGE },
  });
  proxy = await startFaultProxy(moto.endpoint);
  // The functions reach AWS only through the proxy; this process (setup, checks) goes straight to moto.
  gateway = await startGateway({
    template,
    buildDir,
    resolveContext: context,
    extraEnv: localAwsEnv(proxy.url),
    port: 0,
    stage: LOCAL_STAGE,
    log: silent,
  });
  stack = {
    url: gateway.url,
    endpoint: moto.endpoint,
    region: context.pseudo["AWS::Region"] as string,
    userPoolId: context.refs.UserPool as string,
    clientId: context.refs.UserPoolClient as string,
    context,
  };
  productsTable = context.refs.ProductsTable as string;
  [tenant, unseen] = await Promise.all([
    onboardTestTenant(stack, "faults", "premium"),
    onboardTestTenant(stack, "faults-unseen", "premium"),
  ]);
  api = apiAs(gateway.url, tenant.admin.token);
  // Warm up: authorizer decision, JWKS, tenant record and STS credentials are cached from here on.
  expect((await api("GET", "/products")).status).toBe(200);
}, 180_000);

afterAll(async () => {
  await gateway?.close();
  await proxy?.close();
  await moto?.stop();
});

const product = (name: string) => ({ name, priceCents: 500, currency: "EUR", stock: 1 });

/** Only writes to the products table are disturbed; everything else passes. */
const onProductWrites = (decide: (attempt: number) => ReturnType<FaultRule>): FaultRule =>
  (() => {
    let attempt = 0;
    return (call) =>
      call.tableName === productsTable && /\.(PutItem|UpdateItem|DeleteItem)$/.test(call.target)
        ? decide(++attempt)
        : undefined;
  })();

const productWriteAttempts = () =>
  proxy.calls.filter((c) => c.tableName === productsTable && /\.(PutItem|UpdateItem|DeleteItem)$/.test(c.target))
    .length;

async function productsNamed(name: string): Promise<Record<string, unknown>[]> {
  proxy.reset();
  const items: Record<string, unknown>[] = [];
  let cursor: string | undefined;
  do {
    const page = await api("GET", `/products?limit=100${cursor ? `&cursor=${cursor}` : ""}`);
    expect(page.status, page.text).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return items.filter((p) => p.name === name);
}

function expectOutage(res: ApiResponse) {
  expect(res.status, res.text).toBe(503);
  expect(res.headers.get("content-type")).toContain(PROBLEM_CONTENT_TYPE);
  expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
  expect(res.body).toMatchObject({ status: 503, title: expect.any(String) });
}

describe("throttling and transient DynamoDB errors", () => {
  it("retries throttling in the SDK: two throttled attempts, then the write succeeds once", async () => {
    const name = `throttled-${crypto.randomUUID()}`;
    proxy.reset(
      onProductWrites((n) => (n <= 2 ? { kind: "respond", status: 400, errorType: "ThrottlingException" } : undefined)),
    );
    const res = await api("POST", "/products", product(name));
    expect(res.status, res.text).toBe(201);
    expect(productWriteAttempts()).toBe(3);
    expect(await productsNamed(name)).toHaveLength(1);
  });

  it("answers 503 problem+json with Retry-After only after the SDK's retries, and writes nothing", async () => {
    const name = `always-throttled-${crypto.randomUUID()}`;
    proxy.reset(
      onProductWrites(() => ({ kind: "respond", status: 400, errorType: "ProvisionedThroughputExceededException" })),
    );
    const res = await api("POST", "/products", product(name));
    const attempts = productWriteAttempts();
    expectOutage(res);
    expect(attempts, "attempts before giving up").toBeGreaterThan(1);
    expect(await productsNamed(name)).toEqual([]);
  });

  it("retries a transient InternalServerError, then succeeds", async () => {
    const name = `transient-${crypto.randomUUID()}`;
    proxy.reset(
      onProductWrites((n) =>
        n === 1 ? { kind: "respond", status: 500, errorType: "InternalServerError" } : undefined,
      ),
    );
    const res = await api("POST", "/products", product(name));
    expect(res.status, res.text).toBe(201);
    expect(productWriteAttempts()).toBe(2);
    expect(await productsNamed(name)).toHaveLength(1);
  });

  it("answers 503 when DynamoDB keeps failing with 500s", async () => {
    const name = `failing-${crypto.randomUUID()}`;
    proxy.reset(onProductWrites(() => ({ kind: "respond", status: 500, errorType: "InternalServerError" })));
    const res = await api("POST", "/products", product(name));
    expectOutage(res);
    expect(productWriteAttempts()).toBeGreaterThan(1);
    expect(await productsNamed(name)).toEqual([]);
  });
});

describe("the AWS endpoint disappearing mid-request", () => {
  it("answers 503 problem+json, writes nothing, and recovers when the endpoint is back", async () => {
    const name = `vanished-${crypto.randomUUID()}`;
    const release = Promise.withResolvers<void>();
    proxy.reset(
      onProductWrites((n) =>
        n === 1 ? { kind: "hold", release: release.promise, afterwards: { kind: "reset" } } : undefined,
      ),
    );
    const pending = api("POST", "/products", product(name));
    await until(() => productWriteAttempts() === 1);
    await proxy.disappear();
    release.resolve();
    const res = await pending;
    await proxy.reappear();

    expectOutage(res);
    expect(await productsNamed(name), "no partial write").toEqual([]);
    expect((await api("POST", "/products", product(name))).status, "recovered").toBe(201);
  });

  it("tells the client what happened when the answer of an applied create is lost (the SDK retries)", async () => {
    const name = `lost-answer-${crypto.randomUUID()}`;
    proxy.reset(onProductWrites((n) => (n === 1 ? { kind: "forward-then-reset" } : undefined)));
    const res = await api("POST", "/products", product(name));
    const stored = await productsNamed(name);
    // Either the create succeeded (once), or the client hears an error and nothing was created.
    if (res.status === 201) expect(stored).toHaveLength(1);
    else {
      expect([503], `answered ${res.status} ${res.text} while ${stored.length} product(s) were stored`).toContain(
        res.status,
      );
      expect(stored).toEqual([]);
    }
  });

  it("tells the client what happened when the answer of an applied replace is lost", async () => {
    const name = `lost-replace-${crypto.randomUUID()}`;
    const created = await api("POST", "/products", product(name));
    expect(created.status).toBe(201);
    proxy.reset(onProductWrites((n) => (n === 1 ? { kind: "forward-then-reset" } : undefined)));
    const res = await api(
      "PUT",
      `/products/${created.body.id}`,
      { ...product(name), stock: 42 },
      { "If-Match": '"1"' },
    );
    const [stored] = await productsNamed(name);
    if (res.status === 200) expect(stored).toMatchObject({ stock: 42, version: 2 });
    else {
      expect(
        [503],
        `answered ${res.status} ${res.text} while the stored product is ${JSON.stringify(stored)}`,
      ).toContain(res.status);
      expect(stored).toMatchObject({ stock: 1, version: 1 });
    }
  });
});

describe("moto itself stopping mid-request (runs last: the stack's AWS is gone afterwards)", () => {
  it("answers the in-flight request and the next ones with 503 problem+json", async () => {
    const release = Promise.withResolvers<void>();
    proxy.reset(
      onProductWrites((n) =>
        n === 1 ? { kind: "hold", release: release.promise, afterwards: { kind: "forward" } } : undefined,
      ),
    );
    const pending = api("POST", "/products", product(`moto-stopped-${crypto.randomUUID()}`));
    await until(() => productWriteAttempts() === 1);
    await moto.stop();
    release.resolve();
    expectOutage(await pending);
    expectOutage(await api("GET", "/products"));
  });

  it("answers 503 (not 500) when the authorizer cannot read the tenant registry", async () => {
    expectOutage(await apiAs(gateway.url, unseen.admin.token)("GET", "/products"));
  });

  it("answers 503 (not 401) when a cold authorizer cannot fetch the identity provider's keys", async () => {
    const cold = await startGateway({
      template,
      buildDir,
      resolveContext: stack.context,
      extraEnv: localAwsEnv(proxy.url),
      port: 0,
      stage: LOCAL_STAGE,
      log: silent,
    });
    try {
      expectOutage(await apiAs(cold.url, tenant.admin.token)("GET", "/products"));
    } finally {
      await cold.close();
    }
  });
});

async function until(condition: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("the awaited call never reached the fault proxy");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
