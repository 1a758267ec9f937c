/**
 * What the security suites must know about every route of template.yaml: who may call it, how to
 * aim a request at another tenant's resource, which body fields must never be assignable, and how
 * to make a valid body for fuzzing. The suites enumerate routes from the template and fail on any
 * route that has no entry here, so a new route is covered the day it is added.
 */
import type { Role, Tier } from "@tenantkit/tenant-context";
import fc from "fast-check";
import { type ApiRoute, apiRoutes, loadTemplate } from "../../tools/local/template.ts";
import type { Api, ApiResponse } from "./support/http.ts";

/** `METHOD /path` exactly as in template.yaml, e.g. `GET /products/{id}`. */
export type RouteKey = string;

export const routeKey = (route: Pick<ApiRoute, "method" | "path">): RouteKey => `${route.method} ${route.path}`;

/** Every route of the template, in template order. */
export const templateRoutes = (): ApiRoute[] => apiRoutes(loadTemplate());

/** A resource of the victim tenant, planted through the API as the victim before the attack. */
export interface Planted {
  /** values for the route's path parameters (and for bodies that refer to the resource) */
  params: Record<string, string>;
  /** strings that appear only in the victim's data (ids, unique names): none may reach the attacker */
  secrets: string[];
  /** the victim's view of the resource, read again after the attack: it must not have changed */
  state(): Promise<unknown>;
  /** the victim's whole collection as the victim sees it: the attack must not add to it or take from it */
  collection?(): Promise<unknown>;
}

/** How the cross-tenant matrix attacks a route. */
export type IsolationCase =
  /** the request names the victim's resource (path or body): 404 (or the listed statuses), nothing changes */
  | {
      kind: "victim-resource";
      plant(victim: Api): Promise<Planted>;
      body?: (planted: Planted) => unknown;
      headers?: () => Record<string, string>;
      /** default [404] */
      statuses?: number[];
    }
  /** the route works on the caller's own collection: 2xx, with none of the victim's data */
  | {
      kind: "own-collection";
      plant(victim: Api): Promise<Planted>;
      body?: (planted: Planted) => unknown;
      headers?: () => Record<string, string>;
      success: number;
    }
  /** a control-plane route where the system admin works across tenants by design: everyone else gets 403 */
  | { kind: "operator-route" }
  /** a route without the authorizer (e.g. public registration): outside the tenant matrix */
  | { kind: "public"; reason: string };

/** What the mass-assignment check learns about the stored resource. */
export interface StoredItem {
  /** logical id of the table in template.yaml, e.g. `ProductsTable` */
  table: string;
  /** the item's key without the tenant (for tenant-partitioned tables) */
  key: Record<string, string>;
  /** true when the table's partition key is the caller's tenant id */
  tenantPartition: boolean;
}

/** Body fields a client must never set (OWASP API3), checked on routes that take a body. */
export interface MassAssignmentCase {
  /** creates what the request needs (in the caller's own tenant); returns parameters for path and body */
  prepare?(self: Api): Promise<Record<string, string>>;
  /** a valid body for the route; the suite adds the forbidden fields to it */
  validBody(params: Record<string, string>): Record<string, unknown>;
  headers?: () => Record<string, string>;
  /** forbidden field names that this route legitimately accepts (e.g. `role` on a users route) */
  allowed?: string[];
  /** route-specific fields to smuggle in as well (prices, totals...) */
  extraForbidden?: Record<string, unknown>;
  storedItem(response: ApiResponse, params: Record<string, string>): StoredItem;
  /** server-owned fields of the response with the values the server must have chosen */
  serverOwned(response: ApiResponse, params: Record<string, string>): Record<string, unknown>;
  /** the users whose tokens the request revokes in the caller's tenant record (a user it changes); default none */
  revokes?(params: Record<string, string>): string[];
}

export interface RouteCoverage {
  /** who may call it: `any-member` = any authenticated user of an active tenant with a role */
  roles: "any-member" | readonly Role[];
  /** tiers whose tenants may use it (a tier feature flag); default: all */
  tiers?: readonly Tier[];
  isolation: IsolationCase;
  /** a POST that takes no body (an action such as `/cancel`) */
  noBody?: true;
  /** required for routes whose method carries a body (POST, PUT, PATCH) unless `noBody` */
  massAssignment?: MassAssignmentCase;
  /** a generator of valid bodies, mutated by the fuzzer; required where `massAssignment` is */
  validBody?: fc.Arbitrary<Record<string, unknown>>;
  /** the route pages with `?limit=&cursor=` (the limits suite checks page sizes and forged cursors) */
  paginated?: true;
}

// ---------------------------------------------------------------- helpers

const uniqueName = (label: string) => `${label} ${crypto.randomUUID()}`;
const uniqueEmail = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}@security.test`;
const idempotencyKey = () => ({ "Idempotency-Key": crypto.randomUUID() });
/** A replace of whatever version is current (a replace without If-Match is 428). */
const ifMatchAny = () => ({ "If-Match": "*" });

/** Reads every page of a list route as `api` and returns one line per item (id and version). */
async function allPages(api: Api, path: string, idOf: (item: Record<string, unknown>) => string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await api("GET", `${path}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    if (page.status !== 200) throw new Error(`reading ${path}: ${page.status} ${page.text}`);
    ids.push(...page.body.items.map(idOf));
    cursor = page.body.nextCursor;
  } while (cursor);
  return ids.sort();
}

// ---------------------------------------------------------------- products

const productInput = (name: string, stock = 3) => ({ name, priceCents: 1999, currency: "EUR", stock, sku: "SEC-1" });

async function createProduct(api: Api, name: string, stock = 3): Promise<string> {
  const created = await api("POST", "/products", productInput(name, stock));
  if (created.status !== 201) throw new Error(`creating a product failed: ${created.status} ${created.text}`);
  return created.body.id as string;
}

/** Plants one product of the victim. */
async function plantProduct(victim: Api): Promise<Planted> {
  const name = uniqueName("victim secret");
  const id = await createProduct(victim, name, 5);
  return {
    params: { id, productId: id },
    secrets: [id, name],
    state: async () => (await victim("GET", `/products/${id}`)).body,
    collection: () => allPages(victim, "/products", (p) => `${p.id}@${p.version}/${p.stock}`),
  };
}

const validProductBody = fc.record(
  {
    name: fc.string({ minLength: 1, maxLength: 200 }).filter((s) => s.trim().length > 0),
    description: fc.string({ maxLength: 2000 }),
    sku: fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/),
    priceCents: fc.integer({ min: 0, max: 1_000_000_000 }),
    currency: fc.stringMatching(/^[A-Z]{3}$/),
    stock: fc.integer({ min: 0, max: 1_000_000_000 }),
  },
  { requiredKeys: ["name", "priceCents", "currency", "stock"] },
);

// ---------------------------------------------------------------- orders

async function placeOrder(api: Api, productId: string): Promise<Record<string, unknown>> {
  const placed = await api("POST", "/orders", { items: [{ productId, quantity: 1 }] }, idempotencyKey());
  if (placed.status !== 201) throw new Error(`placing an order failed: ${placed.status} ${placed.text}`);
  return placed.body;
}

/** Plants a product and an order of the victim (the order reserves one unit of stock). */
async function plantOrder(victim: Api): Promise<Planted> {
  const product = await plantProduct(victim);
  const order = await placeOrder(victim, product.params.id as string);
  const id = order.id as string;
  return {
    params: { id, productId: product.params.id as string },
    secrets: [id, ...product.secrets],
    state: async () => [(await victim("GET", `/orders/${id}`)).body, await product.state()],
    collection: async () => [
      await allPages(victim, "/orders", (o) => `${o.id}/${o.status}`),
      await product.collection?.(),
    ],
  };
}

const validOrderBody = fc.record({
  items: fc.uniqueArray(fc.record({ productId: fc.uuid(), quantity: fc.integer({ min: 1, max: 1000 }) }), {
    minLength: 1,
    maxLength: 50,
    selector: (line) => line.productId,
  }),
});

// ---------------------------------------------------------------- users

async function plantUser(victim: Api): Promise<Planted> {
  const email = uniqueEmail("victim-user");
  const created = await victim("POST", "/users", { email, role: "tenant-user" });
  if (created.status !== 201) throw new Error(`planting a user failed: ${created.status} ${created.text}`);
  const id = created.body.userId as string;
  return {
    params: { id },
    secrets: [id, email],
    state: async () => (await victim("GET", `/users/${id}`)).body,
    collection: () => allPages(victim, "/users", (u) => `${u.userId}/${u.role}/${u.enabled}`),
  };
}

const validUserBody = fc.record({
  email: fc.emailAddress().filter((e) => e.length <= 254),
  role: fc.constantFrom("tenant-admin", "tenant-user"),
});

// ---------------------------------------------------------------- audit

/** Plants an order of the victim and waits until it shows in the victim's own audit trail. */
async function plantAuditEntry(victim: Api): Promise<Planted> {
  const order = await plantOrder(victim);
  const orderId = order.params.id as string;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const trail = await victim("GET", "/audit?limit=100");
    if (trail.status === 200 && trail.text.includes(orderId)) break;
    if (Date.now() > deadline) throw new Error(`the victim's order ${orderId} never reached its audit trail`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  // The trail keeps growing asynchronously, so only the order itself is compared.
  return { params: {}, secrets: order.secrets, state: order.state };
}

// ---------------------------------------------------------------- tenants

/** The victim's own view of its tenant (without today's usage, which every request changes). */
async function plantOwnTenantView(victim: Api): Promise<Planted> {
  return {
    params: {},
    secrets: [],
    state: async () => {
      const { usage: _usage, ...tenant } = (await victim("GET", "/tenant")).body;
      return tenant;
    },
  };
}

const tenantName = fc
  .string({ minLength: 2, maxLength: 60 })
  .map((s) => `${s.replace(/[^A-Za-z0-9 ]/g, "")}x${Math.random().toString(36).slice(2, 8)}`)
  .filter((s) => s.length >= 2 && s.length <= 80);

const validNewTenant = fc.record({
  name: tenantName,
  tier: fc.constantFrom("basic", "standard", "premium"),
  adminEmail: fc.emailAddress().filter((e) => e.length <= 254),
});

/** Onboards a tenant through the control plane as the system admin; returns its id. */
async function onboardThroughApi(ops: Api): Promise<Record<string, string>> {
  const created = await ops("POST", "/tenants", {
    name: uniqueName("Mass assignment"),
    tier: "basic",
    adminEmail: uniqueEmail("mass-admin"),
  });
  if (created.status !== 201) throw new Error(`onboarding through the API failed: ${created.status} ${created.text}`);
  return { id: created.body.tenantId as string };
}

const tenantsItem =
  () =>
  (response: ApiResponse, params: Record<string, string>): StoredItem => ({
    table: "TenantsTable",
    key: { tenantId: params.id ?? (response.body.tenantId as string) },
    tenantPartition: false,
  });

const SYSTEM_ADMIN: readonly Role[] = ["system-admin"];
const TENANT_ADMIN: readonly Role[] = ["tenant-admin"];
const operator = (extra: Partial<RouteCoverage> = {}): RouteCoverage => ({
  roles: SYSTEM_ADMIN,
  isolation: { kind: "operator-route" },
  ...extra,
});

/** The coverage table, one entry per `METHOD /path` of template.yaml. */
export function routeCoverage(): Record<RouteKey, RouteCoverage> {
  return {
    // ------------------------------------------------------------ products (any member)
    "POST /products": {
      roles: "any-member",
      isolation: {
        kind: "own-collection",
        success: 201,
        plant: plantProduct,
        body: () => productInput(uniqueName("attacker product")),
      },
      massAssignment: {
        validBody: () => productInput(uniqueName("mass assignment")),
        storedItem: (response) => ({
          table: "ProductsTable",
          key: { productId: response.body.id as string },
          tenantPartition: true,
        }),
        serverOwned: () => ({ version: 1 }),
      },
      validBody: validProductBody,
    },
    "GET /products": {
      roles: "any-member",
      isolation: { kind: "own-collection", success: 200, plant: plantProduct },
      paginated: true,
    },
    "GET /products/export": {
      roles: "any-member",
      isolation: { kind: "own-collection", success: 200, plant: plantProduct },
    },
    "GET /products/{id}": {
      roles: "any-member",
      isolation: { kind: "victim-resource", plant: plantProduct },
    },
    "PUT /products/{id}": {
      roles: "any-member",
      isolation: {
        kind: "victim-resource",
        plant: plantProduct,
        body: () => productInput(uniqueName("hijacked"), 0),
        headers: ifMatchAny,
      },
      massAssignment: {
        prepare: async (self) => ({ id: await createProduct(self, uniqueName("own product")) }),
        validBody: () => productInput(uniqueName("mass assignment")),
        headers: ifMatchAny,
        storedItem: (_response, params) => ({
          table: "ProductsTable",
          key: { productId: params.id as string },
          tenantPartition: true,
        }),
        serverOwned: (_response, params) => ({ id: params.id, version: 2 }),
      },
      validBody: validProductBody,
    },
    "DELETE /products/{id}": {
      roles: "any-member",
      isolation: { kind: "victim-resource", plant: plantProduct },
    },

    // ------------------------------------------------------------ orders (any member)
    "POST /orders": {
      roles: "any-member",
      // An order naming the victim's product: refused as an unknown product, the victim's stock untouched.
      isolation: {
        kind: "victim-resource",
        plant: plantProduct,
        body: (planted) => ({ items: [{ productId: planted.params.productId, quantity: 1 }] }),
        headers: idempotencyKey,
        statuses: [400, 404],
      },
      massAssignment: {
        prepare: async (self) => ({ productId: await createProduct(self, uniqueName("orderable"), 10) }),
        validBody: (params) => ({
          items: [{ productId: params.productId, quantity: 1, unitPriceCents: 1, lineTotalCents: 1, name: "free" }],
        }),
        headers: idempotencyKey,
        extraForbidden: { totalCents: 1, currency: "XXX", cancelledAt: "2000-01-01T00:00:00.000Z" },
        storedItem: (response) => ({
          table: "OrdersTable",
          key: { orderId: response.body.id as string },
          tenantPartition: true,
        }),
        serverOwned: () => ({ status: "PLACED", totalCents: 1999, currency: "EUR" }),
      },
      validBody: validOrderBody,
    },
    "GET /orders": {
      roles: "any-member",
      isolation: { kind: "own-collection", success: 200, plant: plantOrder },
      paginated: true,
    },
    "GET /orders/export": {
      roles: "any-member",
      isolation: { kind: "own-collection", success: 200, plant: plantOrder },
    },
    "GET /orders/{id}": {
      roles: "any-member",
      isolation: { kind: "victim-resource", plant: plantOrder },
    },
    "POST /orders/{id}/cancel": {
      roles: "any-member",
      noBody: true,
      isolation: { kind: "victim-resource", plant: plantOrder },
    },

    // ------------------------------------------------------------ users (tenant admins, own tenant only)
    "POST /users": {
      roles: TENANT_ADMIN,
      isolation: {
        kind: "own-collection",
        success: 201,
        plant: plantUser,
        body: () => ({ email: uniqueEmail("attacker-user"), role: "tenant-user" }),
      },
      massAssignment: {
        validBody: () => ({ email: uniqueEmail("mass-user"), role: "tenant-user" }),
        allowed: ["role", "email"],
        storedItem: (response) => ({
          table: "UsersTable",
          key: { userId: response.body.userId as string },
          tenantPartition: true,
        }),
        serverOwned: () => ({ role: "tenant-user", enabled: true }),
      },
      validBody: validUserBody,
    },
    "GET /users": {
      roles: TENANT_ADMIN,
      isolation: { kind: "own-collection", success: 200, plant: plantUser },
      paginated: true,
    },
    "GET /users/{id}": {
      roles: TENANT_ADMIN,
      isolation: { kind: "victim-resource", plant: plantUser },
    },
    "PATCH /users/{id}": {
      roles: TENANT_ADMIN,
      isolation: { kind: "victim-resource", plant: plantUser, body: () => ({ role: "tenant-admin", enabled: false }) },
      massAssignment: {
        prepare: async (self) => {
          const created = await self("POST", "/users", { email: uniqueEmail("own-user"), role: "tenant-user" });
          return { id: created.body.userId as string };
        },
        validBody: () => ({ enabled: false }),
        allowed: ["role"],
        storedItem: (_response, params) => ({
          table: "UsersTable",
          key: { userId: params.id as string },
          tenantPartition: true,
        }),
        serverOwned: (_response, params) => ({ userId: params.id, enabled: false, role: "tenant-user" }),
        revokes: (params) => [params.id as string],
      },
      validBody: fc.record(
        { role: fc.constantFrom("tenant-admin", "tenant-user"), enabled: fc.boolean() },
        { requiredKeys: ["enabled"] },
      ),
    },
    "DELETE /users/{id}": {
      roles: TENANT_ADMIN,
      isolation: { kind: "victim-resource", plant: plantUser },
    },

    // ------------------------------------------------------------ audit (tenant admins; export is a tier feature)
    "GET /audit": {
      roles: TENANT_ADMIN,
      isolation: { kind: "own-collection", success: 200, plant: plantAuditEntry },
      paginated: true,
    },
    "GET /audit/export": {
      roles: TENANT_ADMIN,
      tiers: ["standard", "premium", "enterprise"],
      isolation: { kind: "own-collection", success: 200, plant: plantAuditEntry },
    },

    // ------------------------------------------------------------ the control plane (system admin)
    "POST /tenants": operator({
      massAssignment: {
        validBody: () => ({
          name: uniqueName("Mass assignment"),
          tier: "basic",
          adminEmail: uniqueEmail("mass-admin"),
        }),
        allowed: ["tier"],
        storedItem: tenantsItem(),
        serverOwned: () => ({ status: "ACTIVE", tier: "basic" }),
      },
      validBody: validNewTenant,
    }),
    "GET /tenants": operator({ paginated: true }),
    "GET /tenants/{id}": operator(),
    "PATCH /tenants/{id}": operator({
      massAssignment: {
        prepare: onboardThroughApi,
        validBody: () => ({ tier: "standard" }),
        allowed: ["tier"],
        storedItem: tenantsItem(),
        serverOwned: (_response, params) => ({ tenantId: params.id, tier: "standard", status: "ACTIVE" }),
      },
      validBody: fc.record({ tier: fc.constantFrom("basic", "standard", "premium") }),
    }),
    "POST /tenants/{id}/deactivate": operator({ noBody: true }),
    "POST /tenants/{id}/activate": operator({ noBody: true }),
    "DELETE /tenants/{id}": operator(),
    "GET /tenant": {
      roles: TENANT_ADMIN,
      isolation: { kind: "own-collection", success: 200, plant: plantOwnTenantView },
    },
    "POST /registrations": {
      roles: "any-member",
      isolation: {
        kind: "public",
        reason:
          "self-service sign-up creates a new tenant; it reads no tenant's data (mass assignment and fuzzing cover it)",
      },
      massAssignment: {
        validBody: () => ({ name: uniqueName("Registered"), adminEmail: uniqueEmail("registered"), tier: "basic" }),
        allowed: ["tier"],
        storedItem: tenantsItem(),
        serverOwned: () => ({ status: "ACTIVE", tier: "basic" }),
      },
      validBody: fc.record({
        name: tenantName,
        adminEmail: fc.emailAddress().filter((e) => e.length <= 254),
        tier: fc.constantFrom("basic", "standard", "premium"),
      }),
    },
  };
}

/** Methods whose requests carry a body, so the route needs mass-assignment and fuzzing entries. */
export const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

/** True when the route reads a request body. */
export const takesBody = (route: ApiRoute, entry: RouteCoverage | undefined) =>
  BODY_METHODS.has(route.method) && !entry?.noBody;

/** Why a template route is not (fully) covered, for a failure message that says what to add. */
export function coverageGaps(routes: ApiRoute[], table: Record<RouteKey, RouteCoverage>): string[] {
  const gaps: string[] = [];
  const where = "test/security/route-coverage.ts (routeCoverage)";
  for (const route of routes) {
    const key = routeKey(route);
    const entry = table[key];
    if (!entry) {
      gaps.push(
        `${key} (${route.functionId}) is in template.yaml but not in ${where}: add an entry with the roles that may ` +
          "call it, how to plant another tenant's resource for the cross-tenant matrix, and for a route with a body, " +
          "its mass-assignment case and a valid-body generator for the fuzzer.",
      );
      continue;
    }
    if (takesBody(route, entry) && (!entry.massAssignment || !entry.validBody)) {
      gaps.push(`${key} takes a body: its entry in ${where} needs massAssignment and validBody (or noBody: true).`);
    }
    if (!route.authorizer && entry.isolation.kind !== "public") {
      gaps.push(
        `${key} has no authorizer in template.yaml: if it is meant to be public, say so in its entry ` +
          `(isolation: { kind: "public", reason }) and cover it in a suite of its own; otherwise give it the authorizer.`,
      );
    }
    if (route.authorizer && entry.isolation.kind === "public") {
      gaps.push(`${key} is marked public in ${where} but template.yaml puts the authorizer in front of it.`);
    }
  }
  const inTemplate = new Set(routes.map(routeKey));
  for (const key of Object.keys(table)) {
    if (!inTemplate.has(key)) gaps.push(`${key} is in test/security/route-coverage.ts but no longer in template.yaml.`);
  }
  return gaps;
}

/** Who is calling, as far as the route rules care. */
export interface CallerProfile {
  roles: readonly Role[];
  tier: Tier;
}

/** True when the caller may use the route (role and tier). */
export function mayCall(entry: Pick<RouteCoverage, "roles" | "tiers">, caller: CallerProfile): boolean {
  const roleOk = entry.roles === "any-member" || entry.roles.some((role) => caller.roles.includes(role));
  return roleOk && (!entry.tiers || entry.tiers.includes(caller.tier));
}
