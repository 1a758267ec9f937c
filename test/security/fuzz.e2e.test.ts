/**
 * Property-based fuzzing (fast-check) of every route of template.yaml (OWASP API4, API8 and plain
 * robustness): path parameters, query strings, headers and bodies. Property: never a 5xx, and every
 * error is application/problem+json with a title and the status, a 400 naming each field in
 * errors[], nothing internal leaked. Most requests go straight into each function's Hono app with
 * the real tenant context on the stack's moto (a few ms each); a share goes through the local
 * gateway (authorizer, routing, proxy events, worker processes).
 *
 * Sizes: TENANTKIT_FUZZ_REQUESTS (in process, default 10,000) and TENANTKIT_FUZZ_GATEWAY_REQUESTS
 * (default 400); TENANTKIT_FUZZ_SEED replays a run.
 */
import "./support/quiet.ts";
import fc from "fast-check";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { createAuditApp } from "../../functions/audit/app.ts";
import { createOrdersApp } from "../../functions/orders/app.ts";
import { createProductsApp } from "../../functions/products/app.ts";
import { createRegistrationsApp, createTenantsApp } from "../../functions/tenants/app.ts";
import { createUsersApp } from "../../functions/users/app.ts";
import { type ApiRoute, functionProperties, loadTemplate, resolve } from "../../tools/local/template.ts";
import { routeCoverage, routeKey, templateRoutes } from "./route-coverage.ts";
import { type FuzzAnswer, type FuzzRequest, requestsFor, violation } from "./support/fuzz-requests.ts";
import { rawCall } from "./support/http.ts";
import { onboardTestTenant, type StackWithResources, type TestTenant, withResources } from "./support/local-stack.ts";

const IN_PROCESS_REQUESTS = Number(process.env.TENANTKIT_FUZZ_REQUESTS ?? 10_000);
const GATEWAY_REQUESTS = Number(process.env.TENANTKIT_FUZZ_GATEWAY_REQUESTS ?? 400);
const SEED = process.env.TENANTKIT_FUZZ_SEED ? Number(process.env.TENANTKIT_FUZZ_SEED) : undefined;
/** requests sent together in one property run: the app and moto work concurrently, as under real load */
const IN_PROCESS_BATCH = 50;
const GATEWAY_BATCH = 8;

/** Something that answers a fetch Request like a service's Hono app (`app.request`). */
type InProcessApp = { request(path: string, init: RequestInit, env: unknown): Response | Promise<Response> };

/**
 * How to run each template function in process: the same app factory its handler.ts uses, built
 * with the function's own environment from template.yaml. A function of the template missing here
 * fails the suite: add its factory.
 */
const IN_PROCESS_APPS: Record<string, () => unknown> = {
  ProductsFunction: () => createProductsApp(),
  ProductsExportFunction: () => createProductsApp(),
  OrdersFunction: () => createOrdersApp(),
  OrdersExportFunction: () => createOrdersApp(),
  UsersFunction: () => createUsersApp(),
  AuditFunction: () => createAuditApp(),
  AuditExportFunction: () => createAuditApp(),
  TenantsFunction: () => createTenantsApp(),
  TenantsOffboardFunction: () => createTenantsApp(),
  RegistrationsFunction: () => createRegistrationsApp(),
};

/** Sets the function's template environment (tables, user pool, bus...) as Lambda would; logging stays quiet. */
function useFunctionEnvironment(functionId: string) {
  const variables = resolve(functionProperties(template, functionId).Environment.Variables, stack.context);
  for (const [name, value] of Object.entries(variables as Record<string, unknown>)) {
    if (!/^POWERTOOLS_(LOG_LEVEL|LOGGER_|METRICS_DISABLED)/.test(name)) process.env[name] = String(value);
  }
}

const template = loadTemplate();
const routes = templateRoutes();
let stack: StackWithResources;
let tenant: TestTenant;
let apps: Map<string, InProcessApp>;
const statuses: Record<string, Record<number, number>> = { "in process": {}, gateway: {} };

beforeAll(async () => {
  stack = await withResources(inject("localStack"));
  // premium: the gateway share must stay under the tier's usage-plan rate
  tenant = await onboardTestTenant(stack, "fuzz", "premium");
  apps = new Map();
  for (const functionId of new Set(routes.map((route) => route.functionId))) {
    const factory = IN_PROCESS_APPS[functionId];
    if (!factory) continue;
    useFunctionEnvironment(functionId);
    apps.set(functionId, factory() as InProcessApp);
  }
});

/** Requests for any of `among` (in process: the routes whose function can run here). */
function anyRequest(among: ApiRoute[]): fc.Arbitrary<FuzzRequest & { functionId: string }> {
  const table = routeCoverage();
  return fc
    .constantFrom(...among)
    .chain((route: ApiRoute) =>
      requestsFor(route, table[routeKey(route)]).map((r) => ({ ...r, functionId: route.functionId })),
    );
}

function count(where: string, status: number) {
  const counts = statuses[where] as Record<number, number>;
  counts[status] = (counts[status] ?? 0) + 1;
}

async function inProcess(request: FuzzRequest & { functionId: string }): Promise<FuzzAnswer> {
  const app = apps.get(request.functionId) as InProcessApp;
  const event = {
    requestContext: {
      requestId: `fuzz-${crypto.randomUUID()}`,
      authorizer: {
        tenantId: tenant.tenantId,
        tier: tenant.tier,
        userId: "fuzz-user",
        roles: "system-admin,tenant-admin,tenant-user",
      },
    },
  };
  const res = await app.request(
    request.path,
    {
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined && { body: request.body as BodyInit }),
    },
    { event },
  );
  const answer = { status: res.status, contentType: res.headers.get("content-type"), text: await res.text() };
  count("in process", answer.status);
  return answer;
}

async function throughGateway(request: FuzzRequest): Promise<FuzzAnswer> {
  const res = await rawCall(stack.url, {
    method: request.method,
    path: request.path,
    headers: [...Object.entries(request.headers), ["authorization", `Bearer ${tenant.admin.token}`]],
    ...(request.body !== undefined && { body: Buffer.from(request.body) }),
  });
  count("gateway", res.status);
  return { status: res.status, contentType: res.headers.get("content-type"), text: res.text };
}

function describeFailure(request: FuzzRequest, problem: string): string {
  const body =
    request.body === undefined
      ? ""
      : ` body=${JSON.stringify(Buffer.from(request.body).toString("utf8").slice(0, 300))}`;
  return `${request.method} ${request.path.slice(0, 300)} headers=${JSON.stringify(request.headers)}${body}\n  -> ${problem}`;
}

/** Runs `total` requests in concurrent batches; each batch is one fast-check run, shrunk on failure. */
async function fuzz(
  among: ApiRoute[],
  total: number,
  batch: number,
  send: (r: FuzzRequest & { functionId: string }) => Promise<FuzzAnswer>,
) {
  await fc.assert(
    fc.asyncProperty(fc.array(anyRequest(among), { minLength: batch, maxLength: batch }), async (requests) => {
      const answers = await Promise.all(requests.map(send));
      const failures = requests.flatMap((request, i) => {
        const problem = violation(request, answers[i] as FuzzAnswer);
        return problem ? [describeFailure(request, problem)] : [];
      });
      if (failures.length > 0) throw new Error(failures.join("\n"));
    }),
    {
      numRuns: Math.ceil(total / batch),
      ...(SEED !== undefined && { seed: SEED }),
      // A batch lists its failing requests itself: shrinking 50-request batches would take far longer than it tells.
      endOnFailure: true,
      // A batch that never finishes is a failure (a request hangs), not a stuck suite.
      timeout: 60_000,
    },
  );
}

describe("fuzzing every route of template.yaml", () => {
  it("can run every function of the template in process", () => {
    const missing = [...new Set(routes.map((r) => r.functionId))].filter((id) => !IN_PROCESS_APPS[id]);
    expect(
      missing,
      "add an in-process app factory for these functions to IN_PROCESS_APPS in test/security/fuzz.e2e.test.ts",
    ).toEqual([]);
  });

  it(
    `answers ${IN_PROCESS_REQUESTS} generated requests in process without a 5xx, every error a problem naming what is wrong`,
    async () => {
      await fuzz(
        routes.filter((route) => apps.has(route.functionId)),
        IN_PROCESS_REQUESTS,
        IN_PROCESS_BATCH,
        inProcess,
      );
      const sent = Object.values(statuses["in process"] as Record<number, number>).reduce((a, b) => a + b, 0);
      expect(sent).toBeGreaterThanOrEqual(IN_PROCESS_REQUESTS);
      console.log(`fuzz in process: ${sent} requests, statuses ${JSON.stringify(statuses["in process"])}`);
    },
    Math.max(600_000, IN_PROCESS_REQUESTS * 20),
  );

  it(
    `answers ${GATEWAY_REQUESTS} generated requests through the gateway the same way`,
    async () => {
      await fuzz(routes, GATEWAY_REQUESTS, GATEWAY_BATCH, throughGateway);
      const sent = Object.values(statuses.gateway as Record<number, number>).reduce((a, b) => a + b, 0);
      expect(sent).toBeGreaterThanOrEqual(GATEWAY_REQUESTS);
      console.log(`fuzz through the gateway: ${sent} requests, statuses ${JSON.stringify(statuses.gateway)}`);
    },
    Math.max(600_000, GATEWAY_REQUESTS * 100),
  );
});
