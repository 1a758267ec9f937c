/**
 * Limits (OWASP API4): oversized bodies (413), too-deep JSON (400), absurd page sizes (400) and
 * forged cursors (400, never another tenant's page), through the local gateway, for every route
 * of template.yaml that takes a body or pages.
 */
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { ApiRoute } from "../../tools/local/template.ts";
import { BODY_METHODS, mayCall, routeCoverage, routeKey, takesBody, templateRoutes } from "./route-coverage.ts";
import { type Api, type ApiResponse, apiAs, call, PROBLEM_CONTENT_TYPE } from "./support/http.ts";
import {
  idTokenOf,
  onboardTestTenant,
  type StackWithResources,
  type TestTenant,
  updateTenantRecord,
  withResources,
} from "./support/local-stack.ts";

let stack: StackWithResources;
let attacker: TestTenant;
let victim: TestTenant;
let self: Api;
let selfWaitingForThrottle: Api;
let ops: Api;
let victimSecrets: string[];
let victimCursor: string;

const routes = templateRoutes();
const table = routeCoverage();
const entryOf = (route: ApiRoute) => table[routeKey(route)];
/** every route whose method may carry a body: the size limit holds for all of them */
const sizedRoutes = routes.filter((route) => BODY_METHODS.has(route.method));
/** routes that read a body */
const bodyRoutes = routes.filter((route) => takesBody(route, entryOf(route)));
const pagedRoutes = routes.filter((route) => entryOf(route)?.paginated);
/** paginated routes over one tenant's data (the operator's tenant list spans tenants by design) */
const tenantPagedRoutes = pagedRoutes.filter((route) => entryOf(route)?.isolation.kind !== "operator-route");

/** Any path parameter becomes a fresh UUID: the limits must hold before anything is looked up. */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, () => crypto.randomUUID());

/** The attacker's admin, or the system admin for the control plane's routes. */
function callerFor(route: ApiRoute): Api {
  // Public sign-up has its own throttle (1/s, burst 5), shared with the suites running alongside.
  if (!route.authorizer) return selfWaitingForThrottle;
  const entry = entryOf(route);
  return entry && !mayCall(entry, { roles: ["tenant-admin", "tenant-user"], tier: "premium" }) ? ops : self;
}

/** The headers a valid request of the route needs (an Idempotency-Key...). */
const headersFor = (route: ApiRoute) => entryOf(route)?.massAssignment?.headers?.();

beforeAll(async () => {
  stack = await withResources(inject("localStack"));
  [attacker, victim] = await Promise.all([
    onboardTestTenant(stack, "limits", "premium"),
    onboardTestTenant(stack, "limits-victim", "premium"),
  ]);
  self = apiAs(stack.url, attacker.admin.token);
  selfWaitingForThrottle = apiAs(stack.url, attacker.admin.token, { retryThrottled: true });
  ops = apiAs(stack.url, await idTokenOf(stack, "ops@tenantkit.test"));
  const victimApi = apiAs(stack.url, victim.admin.token);
  victimSecrets = [];
  for (let i = 0; i < 3; i++) {
    const name = `victim secret ${crypto.randomUUID()}`;
    const created = await victimApi("POST", "/products", { name, priceCents: 1, currency: "EUR", stock: 1 });
    victimSecrets.push(name, created.body.id);
    await self("POST", "/products", { name: `own ${i}`, priceCents: 1, currency: "EUR", stock: 1 });
  }
  victimCursor = (await victimApi("GET", "/products?limit=1")).body.nextCursor;
  expect(victimCursor).toEqual(expect.any(String));
});

function expectProblem(res: ApiResponse, status: number, context: string) {
  expect(res.status, `${context}: ${res.text.slice(0, 300)}`).toBe(status);
  expect(res.headers.get("content-type"), context).toContain(PROBLEM_CONTENT_TYPE);
  expect(res.body).toMatchObject({ status, title: expect.any(String) });
}

function expectField(res: ApiResponse, location: string, field: string, context: string) {
  expectProblem(res, 400, context);
  expect(res.body.errors, context).toContainEqual(expect.objectContaining({ location, field }));
}

describe("oversized bodies", () => {
  it.each(sizedRoutes.map((r) => [routeKey(r), r] as const))("%s: 413 past the service's 64 KB", async (key, route) => {
    const body = JSON.stringify({
      name: "x",
      description: "y".repeat(70 * 1024),
      priceCents: 1,
      currency: "EUR",
      stock: 1,
    });
    expectProblem(await callerFor(route)(route.method, concrete(route.path), body, headersFor(route)), 413, key);
  });

  it("413 past API Gateway's 10 MB, from the gateway itself", async () => {
    const route = sizedRoutes[0];
    if (!route) return;
    const res = await callerFor(route)(route.method, concrete(route.path), "x".repeat(10 * 1024 * 1024 + 1));
    expectProblem(res, 413, routeKey(route));
  });
});

describe("the gateway's own answers", () => {
  it("are problem+json naming the caller's X-Correlation-Id, as the template's GatewayResponses say", async () => {
    const headers = { "X-Correlation-Id": `limits-${crypto.randomUUID()}` };
    const route = sizedRoutes[0] as ApiRoute;
    const answers: [string, number, ApiResponse][] = [
      ["no token", 401, await call(stack.url, "GET", "/products", { headers })],
      ["no such resource", 404, await call(stack.url, "GET", "/no-such-resource", { headers })],
      [
        "over 10 MB",
        413,
        await call(stack.url, route.method, concrete(route.path), {
          token: attacker.admin.token,
          body: "x".repeat(10 * 1024 * 1024 + 1),
          headers,
        }),
      ],
    ];

    for (const [context, status, res] of answers) {
      expectProblem(res, status, context);
      expect(res.headers.get("x-correlation-id"), context).toBe(headers["X-Correlation-Id"]);
    }
  });
});

describe("too-deep JSON", () => {
  const deep = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

  it.each(bodyRoutes.map((r) => [routeKey(r), r] as const))(
    "%s: 400 naming the body for a field nested 10,000 levels deep",
    async (key, route) => {
      const res = await callerFor(route)(
        route.method,
        concrete(route.path),
        `{"name":${deep(10_000)}}`,
        headersFor(route),
      );
      expectProblem(res, 400, key);
      expect(res.body.errors?.[0]?.location, key).toBe("body");
    },
  );

  it.each(bodyRoutes.map((r) => [routeKey(r), r] as const))(
    "%s: 400 for a valid body that also carries a value nested 1,000 levels deep (DynamoDB stops at 32)",
    async (key, route) => {
      const mass = entryOf(route)?.massAssignment;
      const caller = callerFor(route);
      const params = (await mass?.prepare?.(caller)) ?? {};
      const valid = mass?.validBody(params) ?? {};
      const body = `${JSON.stringify(valid).slice(0, -1)},"extra":${deep(1_000)}}`;
      const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => params[name] ?? crypto.randomUUID());
      const res = await caller(route.method, path, body, headersFor(route));
      expectProblem(res, 400, `${key} accepted a body nested 1,000 levels deep`);
    },
  );
});

describe("page sizes", () => {
  const absurd = ["0", "-1", "101", "100000", "1e309", "99999999999999999999", "NaN", "Infinity", "1.5", "abc", ""];

  it("has paginated routes to check", () => {
    expect(pagedRoutes.length).toBeGreaterThan(0);
    expect(tenantPagedRoutes.length).toBeGreaterThan(0);
  });

  it.each(absurd)("limit=%s: 400 naming the limit on every paginated route", async (limit) => {
    for (const route of pagedRoutes) {
      const res = await callerFor(route)("GET", `${route.path}?limit=${encodeURIComponent(limit)}`);
      expectField(res, "query", "limit", `${routeKey(route)}?limit=${limit}`);
    }
  });

  it("never returns more than 100 items, whatever the repeated limits say", async () => {
    for (const route of pagedRoutes) {
      const res = await callerFor(route)("GET", `${route.path}?limit=1&limit=1000&limit=5`);
      expect(res.status, res.text).toBeLessThan(500);
      if (res.status === 200) expect(res.body.items.length).toBeLessThanOrEqual(100);
    }
  });
});

describe("forged cursors", () => {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

  it("answers 400 naming the cursor for cursors that are not the service's", async () => {
    const forged = [
      b64({ tenantId: victim.tenantId, productId: victimSecrets[1] }),
      b64({ productId: victimSecrets[1], extra: "x" }),
      b64({ productId: 42 }),
      b64([victimSecrets[1]]),
      b64("productId"),
      b64(null),
      "not base64 !!",
      "%00",
      "x".repeat(3000),
    ];
    for (const route of pagedRoutes) {
      for (const cursor of forged) {
        const res = await callerFor(route)("GET", `${route.path}?cursor=${encodeURIComponent(cursor)}`);
        expectField(res, "query", "cursor", `${routeKey(route)} cursor ${cursor.slice(0, 40)}`);
      }
    }
  });

  it("never answers a well-formed cursor with another tenant's page (the victim's own cursor, the victim's ids)", async () => {
    for (const route of tenantPagedRoutes) {
      for (const cursor of [victimCursor, b64({ productId: victimSecrets[1] }), b64({ productId: "" })]) {
        const res = await self("GET", `${route.path}?limit=100&cursor=${cursor}`);
        expect([200, 400], `${routeKey(route)}: ${res.text.slice(0, 200)}`).toContain(res.status);
        for (const secret of victimSecrets) expect(res.text, routeKey(route)).not.toContain(secret);
      }
    }
  });
});

describe("quotas and throttles (API4, API6)", () => {
  it("answers 429 problem+json with Retry-After once a tenant has used its daily quota, and only that tenant", async () => {
    const limited = await onboardTestTenant(stack, "quota", "premium");
    await updateTenantRecord(stack, limited.tenantId, { dailyQuota: 3 });
    const api = apiAs(stack.url, limited.admin.token);
    const statuses: number[] = [];
    let refused: ApiResponse | undefined;
    for (let i = 0; i < 6; i++) {
      const res = await api("GET", "/products");
      statuses.push(res.status);
      if (res.status === 429) refused = res;
    }
    expect(statuses.slice(0, 3), JSON.stringify(statuses)).toEqual([200, 200, 200]);
    expect(statuses.slice(3), JSON.stringify(statuses)).toEqual([429, 429, 429]);
    expectProblem(refused as ApiResponse, 429, "over quota");
    expect(refused?.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await self("GET", "/products")).status, "another tenant is unaffected").toBe(200);
  });

  it("throttles self-service registration bursts with 429 problem+json, never a 5xx", async () => {
    const registration = routes.find((route) => !route.authorizer && route.method === "POST");
    if (!registration) return;
    // Invalid bodies: whatever gets through is a 400, so the burst onboards nobody.
    const answers = await Promise.all(
      Array.from({ length: 15 }, () => call(stack.url, "POST", registration.path, { body: {} })),
    );
    const statuses = answers.map((res) => res.status);
    expect(
      statuses.every((status) => status === 400 || status === 429),
      JSON.stringify(statuses),
    ).toBe(true);
    const throttled = answers.find((res) => res.status === 429) as ApiResponse;
    expect(throttled, `no 429 in ${JSON.stringify(statuses)}`).toBeDefined();
    expectProblem(throttled, 429, "registration burst");
  });
});
