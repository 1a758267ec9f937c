/**
 * Tenant isolation through the local gateway (OWASP API1 object level, API3 property level, API5
 * function level). Routes are enumerated from template.yaml; each one's coverage entry says how to
 * aim at another tenant's resource.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import type { Role, Tier } from "@tenantkit/tenant-context";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { ApiRoute } from "../../tools/local/template.ts";
import {
  type CallerProfile,
  coverageGaps,
  mayCall,
  type RouteCoverage,
  routeCoverage,
  routeKey,
  takesBody,
  templateRoutes,
} from "./route-coverage.ts";
import { type Api, type ApiResponse, apiAs, PROBLEM_CONTENT_TYPE } from "./support/http.ts";
import {
  idTokenOf,
  onboardTestTenant,
  type StackWithResources,
  type TestTenant,
  withResources,
} from "./support/local-stack.ts";

const SYSTEM_ADMIN = "ops@tenantkit.test";

interface Persona extends CallerProfile {
  label: string;
  tenantId: string;
  api: Api;
}

let stack: StackWithResources;
let attacker: TestTenant;
let victim: TestTenant;
let personas: Persona[];
let victimApi: Api;
let dynamo: DynamoDBDocumentClient;

const routes = templateRoutes();
const table: Record<string, RouteCoverage> = routeCoverage();

beforeAll(async () => {
  stack = await withResources(inject("localStack"));
  // premium: every tier feature (audit export) is on, so refusals come from roles and tenancy only
  [attacker, victim] = await Promise.all([
    onboardTestTenant(stack, "iso-attacker", "premium"),
    onboardTestTenant(stack, "iso-victim", "premium"),
  ]);
  const opsToken = await idTokenOf(stack, SYSTEM_ADMIN);
  const tier: Tier = "premium";
  personas = [
    {
      label: "tenant-admin",
      roles: ["tenant-admin"],
      tier,
      tenantId: attacker.tenantId,
      api: apiAs(stack.url, attacker.admin.token),
    },
    {
      label: "tenant-user",
      roles: ["tenant-user"],
      tier,
      tenantId: attacker.tenantId,
      api: apiAs(stack.url, attacker.user.token),
    },
    // the operator's own tenant (tenantkit, basic tier); its admin is also the system admin
    {
      label: "system-admin",
      roles: ["system-admin", "tenant-admin"] as Role[],
      tier: "basic",
      tenantId: "tenantkit",
      api: apiAs(stack.url, opsToken),
    },
  ];
  victimApi = apiAs(stack.url, victim.admin.token);
  dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}));
});

afterAll(() => dynamo?.destroy());

const persona = (label: string) => personas.find((p) => p.label === label) as Persona;

/** `/products/{id}` with `{ id: "x" }` -> `/products/x`; a parameter the plant did not provide fails loudly. */
function fillPath(path: string, params: Record<string, string>): string {
  return path.replace(/\{([^}+]+)\+?\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value planted for path parameter {${name}} of ${path}`);
    return encodeURIComponent(value);
  });
}

function expectProblem(res: ApiResponse, statuses: number[], context: string) {
  expect(statuses, `${context}: ${res.status} ${res.text.slice(0, 300)}`).toContain(res.status);
  expect(res.headers.get("content-type"), context).toContain(PROBLEM_CONTENT_TYPE);
  expect(res.body, context).toMatchObject({ status: res.status, title: expect.any(String) });
}

/** The victim's data must not reach the attacker; what the attacker itself sent (an id in the path) may be echoed. */
function expectNoneOf(res: ApiResponse, secrets: string[], context: string, sent = "") {
  for (const secret of [...secrets, victim.tenantId].filter((s) => !sent.includes(s))) {
    expect(res.text.includes(secret), `${context}: the response carries the victim's "${secret}"`).toBe(false);
  }
}

async function rawItem(tableName: string, key: Record<string, string>) {
  return (await dynamo.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;
}

const tenantRecord = (tenantId: string) => rawItem(stack.context.refs.TenantsTable as string, { tenantId });

/** The victim is intact: same tenant record, and its admin still works. */
async function expectVictimIntact(recordBefore: unknown, context: string) {
  expect(await tenantRecord(victim.tenantId), `${context}: the victim's tenant record changed`).toEqual(recordBefore);
  expect((await victimApi("GET", "/products")).status, `${context}: the victim can no longer work`).toBe(200);
}

describe("the cross-tenant route matrix (every route and verb of template.yaml)", () => {
  it("covers every route of the template", () => {
    expect(coverageGaps(routes, table)).toEqual([]);
  });

  describe.each(routes.map((route) => [routeKey(route), route] as const))("%s", (key, route: ApiRoute) => {
    it.each(["tenant-user", "tenant-admin", "system-admin"])(
      "as another tenant's %s: never the victim's data, and the victim's resources unchanged",
      async (label) => {
        const entry = table[key];
        if (!entry) throw new Error(coverageGaps([route], table).join("\n"));
        const caller = persona(label);
        const isolation = entry.isolation;
        const allowed = mayCall(entry, caller);
        const context = `${key} as ${label} of ${caller.tenantId}`;
        if (isolation.kind === "public") return;

        if (isolation.kind === "operator-route") {
          // Working across tenants is the system admin's job; anyone else aiming at the victim gets 403.
          if (allowed) return;
          const recordBefore = await tenantRecord(victim.tenantId);
          const body = takesBody(route, entry) ? (entry.massAssignment?.validBody({}) ?? {}) : undefined;
          const res = await caller.api(route.method, fillPath(route.path, { id: victim.tenantId }), body);
          expectProblem(res, [403], context);
          await expectVictimIntact(recordBefore, context);
          return;
        }

        const planted = await isolation.plant(victimApi);
        const [before, collectionBefore] = [await planted.state(), await planted.collection?.()];
        const recordBefore = await tenantRecord(victim.tenantId);
        // Smuggle the victim's tenant id everywhere except the token: none of it may count.
        const path = fillPath(route.path, planted.params);
        const body = isolation.body?.(planted);
        const res = await caller.api(
          route.method,
          `${path}?tenantId=${victim.tenantId}`,
          body === undefined ? undefined : { ...(body as object), tenantId: victim.tenantId },
          { "X-Tenant-Id": victim.tenantId, ...isolation.headers?.() },
        );

        if (!allowed) expectProblem(res, [403], context);
        else if (isolation.kind === "victim-resource") expectProblem(res, isolation.statuses ?? [404], context);
        else expect(res.status, `${context}: ${res.text.slice(0, 300)}`).toBe(isolation.success);
        expectNoneOf(res, planted.secrets, context, `${path} ${JSON.stringify(body ?? "")}`);
        expect(await planted.state(), `${context}: the victim's resource changed`).toEqual(before);
        if (planted.collection) {
          expect(await planted.collection(), `${context}: the victim's collection changed`).toEqual(collectionBefore);
        }
        await expectVictimIntact(recordBefore, context);
      },
    );
  });
});

describe("function-level authorization (roles from Cognito groups, tier features)", () => {
  const gated = () => routes.filter((route) => table[routeKey(route)]?.roles !== "any-member");

  it("refuses every persona that lacks a role-gated route's role (or tier) with 403 problem+json", async () => {
    const checked: string[] = [];
    for (const route of gated()) {
      const entry = table[routeKey(route)] as RouteCoverage;
      if (entry.isolation.kind === "public") continue;
      for (const caller of personas.filter((p) => !mayCall(entry, p))) {
        const id = route.path.startsWith("/tenants") ? victim.tenantId : crypto.randomUUID();
        const path = route.path.replace(/\{[^}]+\}/g, id);
        const res = await caller.api(route.method, path, takesBody(route, entry) ? {} : undefined);
        expectProblem(res, [403], `${routeKey(route)} (needs ${entry.roles}) as ${caller.label}`);
        checked.push(`${routeKey(route)} as ${caller.label}`);
      }
    }
    expect(checked.length, "role-gated routes checked").toBeGreaterThan(0);
  });

  it("lets every persona that holds the role use the collection routes, and only those", async () => {
    const collections = routes.filter((r) => r.method === "GET" && !r.path.includes("{"));
    for (const route of collections) {
      const entry = table[routeKey(route)] as RouteCoverage;
      for (const caller of personas) {
        const res = await caller.api("GET", route.path);
        const context = `${routeKey(route)} as ${caller.label}`;
        if (mayCall(entry, caller)) expect(res.status, `${context}: ${res.text.slice(0, 200)}`).toBe(200);
        else expectProblem(res, [403], context);
      }
    }
  });
});

/** Fields no client may set on any route (unless the route's entry allows one). */
function forbiddenFields(victimTenantId: string): Record<string, unknown> {
  return {
    tenantId: victimTenantId,
    TenantId: victimTenantId,
    tenant_id: victimTenantId,
    "custom:tenantId": victimTenantId,
    tenant: { id: victimTenantId },
    role: "system-admin",
    roles: ["system-admin"],
    groups: ["system-admin"],
    "cognito:groups": ["system-admin"],
    tier: "enterprise",
    status: "INACTIVE",
    email: "attacker@evil.test",
    id: crypto.randomUUID(),
    productId: crypto.randomUUID(),
    orderId: crypto.randomUUID(),
    userId: "someone-else",
    usageKey: "stolen-usage-key",
    tables: { products: "someone-elses-table" },
    version: 999,
    createdAt: "2000-01-01T00:00:00.000Z",
    updatedAt: "2000-01-01T00:00:00.000Z",
  };
}

describe("mass assignment: body fields never change tenant, keys, role, tier or status", () => {
  const withBody = routes.filter((r) => takesBody(r, table[routeKey(r)]));

  it.each(withBody.map((route) => [routeKey(route), route] as const))("%s", async (key, route) => {
    const entry = table[key];
    const mass = entry?.massAssignment;
    if (!entry || !mass)
      throw new Error(coverageGaps([route], table).join("\n") || `${key} has no massAssignment case`);
    const caller = personas.find((p) => mayCall(entry, p));
    if (!caller) throw new Error(`no persona may call ${key}`);
    const params = (await mass.prepare?.(caller.api)) ?? {};
    const forbidden = Object.fromEntries(
      Object.entries({ ...forbiddenFields(victim.tenantId), ...mass.extraForbidden }).filter(
        ([name]) => !mass.allowed?.includes(name),
      ),
    );
    const [ownBefore, victimBefore] = [await tenantRecord(caller.tenantId), await tenantRecord(victim.tenantId)];

    const res = await caller.api(
      route.method,
      fillPath(route.path, params),
      { ...mass.validBody(params), ...forbidden },
      mass.headers?.(),
    );

    expect(res.status, res.text.slice(0, 300)).toBeGreaterThanOrEqual(200);
    expect(res.status, res.text.slice(0, 300)).toBeLessThan(300);
    const serverOwned = mass.serverOwned(res, params);
    expect(res.body).toMatchObject(serverOwned);
    for (const [name, value] of Object.entries(forbidden)) {
      if (name in serverOwned) continue;
      expect(res.body?.[name], `response field ${name}`).not.toEqual(value);
    }

    const stored = mass.storedItem(res, params);
    const tableName = stack.context.refs[stored.table] as string;
    const key_ = stored.tenantPartition ? { ...stored.key, tenantId: caller.tenantId } : stored.key;
    const item = await rawItem(tableName, key_);
    expect(item, `the item is stored under ${JSON.stringify(key_)}`).toBeDefined();
    for (const [name, value] of Object.entries(forbidden)) {
      if (name in serverOwned || name in stored.key || (stored.tenantPartition && name === "tenantId")) continue;
      expect(item?.[name], `stored attribute ${name}`).not.toEqual(value);
    }
    if (stored.tenantPartition) {
      expect(
        await rawItem(tableName, { ...stored.key, tenantId: victim.tenantId }),
        "nothing in the victim's partition",
      ).toBeUndefined();
    }
    // The caller's record changes only where the route revokes a user's tokens: one entry added for
    // that user, whose earlier entries it may replace.
    const { revokedTokens: revokedAfter = new Set(), ...ownAfter } = (await tenantRecord(caller.tenantId)) ?? {};
    const { revokedTokens: revokedBefore = new Set(), ...ownBeforeRest } = ownBefore ?? {};
    expect(ownAfter, "the caller's tenant record").toEqual(ownBeforeRest);
    const added = [...revokedAfter].filter((entry) => !revokedBefore.has(entry));
    const removed = [...revokedBefore].filter((entry) => !revokedAfter.has(entry));
    const revoked = mass.revokes?.(params) ?? [];
    expect(
      removed.filter((entry) => !revoked.includes(entry.split("@")[0] as string)),
      "the revocations it removed of users it did not revoke",
    ).toEqual([]);
    expect(
      added.map((entry) => entry.split("@")[0]),
      "the users whose tokens it revoked",
    ).toEqual(revoked);
    expect(await tenantRecord(victim.tenantId), "the victim's tenant record").toEqual(victimBefore);
    expect((await caller.api("GET", "/products")).status, "the caller keeps exactly its rights").toBe(200);
  });
});
