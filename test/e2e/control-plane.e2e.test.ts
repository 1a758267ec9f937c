import {
  AdminRemoveUserFromGroupCommand,
  CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { LOCAL_STACK_NAME } from "../../tools/local/stack.ts";
import { cognitoTestUsers } from "../support/cognito-users.ts";
import { ACME_ADMIN, ACME_USER, api, GLOBEX_ADMIN, ndjsonLines, stack } from "./client.ts";

const OPS = "ops@tenantkit.test";
const PROBLEM = "application/problem+json";
let sequence = 0;
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++sequence}`;
const aws = { endpoint: stack.endpoint, region: stack.region, credentials: { accessKeyId: "x", secretAccessKey: "x" } };
const db = DynamoDBDocumentClient.from(new DynamoDBClient(aws));
const cognito = new CognitoIdentityProviderClient(aws);
const users = cognitoTestUsers({ ...stack, cognito, password: "Tenant-admin-pass-1" });

/** Waits out the local stack's tenant-registry cache (2 s) so a status change is seen. */
const registryCache = () => new Promise((resolve) => setTimeout(resolve, 2500));

describe("tenant onboarding through the gateway", () => {
  it("lets a system admin onboard a tenant, and nobody else", async () => {
    const name = unique("Initech");
    expect(
      (await api("POST", "/tenants", { as: ACME_ADMIN, body: { name, tier: "basic", adminEmail: `a@${name}.test` } }))
        .status,
    ).toBe(403);
    const created = await api("POST", "/tenants", {
      as: OPS,
      body: { name, tier: "standard", adminEmail: `admin@${name}.test` },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ tenantId: name.toLowerCase(), tier: "standard", status: "ACTIVE" });
    expect(created.body.usageKey).toBeUndefined();
    const again = await api("POST", "/tenants", {
      as: OPS,
      body: { name, tier: "basic", adminEmail: `other@${name}.test` },
    });
    expect(again.status).toBe(409);
    expect(again.headers.get("content-type")).toContain(PROBLEM);
  });

  it("registers a tenant through the public route without a token, and refuses a taken email", async () => {
    const name = unique("Hooli");
    const res = await api("POST", "/registrations", {
      retryThrottled: true,
      body: { name, adminEmail: `admin@${name}.test` },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ tier: "basic", status: "ACTIVE" });
    const taken = await api("POST", "/registrations", {
      retryThrottled: true,
      body: { name: unique("Other"), adminEmail: `admin@${name}.test` },
    });
    expect(taken.status).toBe(409);
    const silo = await api("POST", "/registrations", {
      retryThrottled: true,
      body: { name: unique("Big"), adminEmail: "x@big.test", tier: "enterprise" },
    });
    expect(silo.status).toBe(400);
    expect(silo.body.errors[0]).toMatchObject({ field: "tier" });
  });

  it("lists and reads tenants for the system admin only", async () => {
    const page = await api("GET", "/tenants?limit=100", { as: OPS });
    expect(page.status).toBe(200);
    expect(page.body.items.map((t: { tenantId: string }) => t.tenantId)).toEqual(
      expect.arrayContaining(["acme", "globex"]),
    );
    expect((await api("GET", "/tenants/acme", { as: OPS })).body).toMatchObject({ tenantId: "acme", tier: "basic" });
    expect((await api("GET", "/tenants/acme", { as: GLOBEX_ADMIN })).status).toBe(403);
    expect((await api("GET", "/tenants/nope-nope", { as: OPS })).status).toBe(404);
  });
});

/** Onboards a tenant as the system admin and signs its admin in (Cognito invites by email; set a password). */
async function newTenant(prefix: string, tier = "basic") {
  const name = unique(prefix);
  const adminEmail = `admin@${name}.test`.toLowerCase();
  const created = await api("POST", "/tenants", { as: OPS, body: { name, tier, adminEmail } });
  expect(created.status).toBe(201);
  const { idToken } = await users.signInAs(adminEmail);
  return { tenantId: created.body.tenantId as string, token: idToken };
}

describe("tenant lifecycle through the gateway", () => {
  it("refuses a tenant's tokens with 403 once it is deactivated, and accepts them again after activation", async () => {
    const { tenantId, token } = await newTenant("Umbrella");
    expect((await api("GET", "/products", { token })).status).toBe(200);
    expect((await api("POST", `/tenants/${tenantId}/deactivate`, { as: OPS })).body).toMatchObject({
      status: "INACTIVE",
    });
    await registryCache();
    const refused = await api("GET", "/products", { token });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("content-type")).toContain(PROBLEM);
    expect((await api("POST", `/tenants/${tenantId}/activate`, { as: OPS })).body).toMatchObject({ status: "ACTIVE" });
    await registryCache();
    expect((await api("GET", "/products", { token })).status).toBe(200);
  });

  it("shows a tenant admin its own tenant and today's usage", async () => {
    const res = await api("GET", "/tenant", { as: GLOBEX_ADMIN });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tenantId: "globex", tier: "premium", status: "ACTIVE" });
    expect(res.body.usage.requests).toBeGreaterThan(0);
    expect((await api("GET", "/tenant", { as: "user@globex.test" })).status).toBe(403);
  });

  it("answers 429 with Retry-After to a tenant over its own daily quota while another tenant of the tier goes on", async () => {
    const { tenantId, token } = await newTenant("Quota");
    await db.send(
      new UpdateCommand({
        TableName: `${LOCAL_STACK_NAME}-tenants`,
        Key: { tenantId },
        UpdateExpression: "SET dailyQuota = :q",
        ExpressionAttributeValues: { ":q": 3 },
      }),
    );
    await registryCache();
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof api>> | undefined;
    for (let i = 0; i < 5; i++) {
      last = await api("GET", "/products", { token });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(Number(last?.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await api("GET", "/products", { as: ACME_ADMIN })).status).toBe(200);
  });

  it("offboards a tenant: streams its data, then a second call is 404", async () => {
    const { tenantId, token } = await newTenant("Leaving");
    await api("POST", "/products", { token, body: { name: "last one", priceCents: 1, currency: "EUR", stock: 1 } });
    const res = await api("DELETE", `/tenants/${tenantId}`, { as: OPS });
    expect(res.status).toBe(200);
    const lines = ndjsonLines(res.body);
    expect(lines[0]).toMatchObject({ type: "tenant" });
    expect(lines.some((l) => l.type === "item" && l.table === "products" && l.item.name === "last one")).toBe(true);
    expect(lines.at(-1)).toMatchObject({ type: "deleted", tenantId });
    expect((await api("DELETE", `/tenants/${tenantId}`, { as: OPS })).status).toBe(404);

    // Its id is free again, and a new tenant takes it at once: the old admin's token, unexpired (and
    // its Allow perhaps still cached by the gateway), must not reach the new tenant. No container
    // still trusts the old record: offboarding waited for their copies to expire before deleting.
    const again = await api("POST", "/tenants", {
      as: OPS,
      body: { name: tenantId, tier: "basic", adminEmail: `new-admin@${tenantId}.test` },
    });
    expect(again.body).toMatchObject({ tenantId, status: "ACTIVE" });
    const old = await api("GET", "/products", { token });
    expect(old.status).toBe(401);
    expect(old.headers.get("content-type")).toContain(PROBLEM);
  });
});

describe("users of a tenant", () => {
  it("lets a tenant admin add, change and remove users of its own tenant only", async () => {
    const email = `${unique("new")}@acme.test`;
    const created = await api("POST", "/users", { as: ACME_ADMIN, body: { email, role: "tenant-user" } });
    expect(created.status).toBe(201);
    const id = created.body.userId;
    expect((await api("GET", `/users/${id}`, { as: ACME_ADMIN })).body).toMatchObject({ email, role: "tenant-user" });
    expect((await api("GET", `/users/${id}`, { as: GLOBEX_ADMIN })).status).toBe(404);
    expect((await api("PATCH", `/users/${id}`, { as: GLOBEX_ADMIN, body: { enabled: false } })).status).toBe(404);
    expect((await api("DELETE", `/users/${id}`, { as: GLOBEX_ADMIN })).status).toBe(404);
    const promoted = await api("PATCH", `/users/${id}`, {
      as: ACME_ADMIN,
      body: { role: "tenant-admin", enabled: false },
    });
    expect(promoted.body).toMatchObject({ role: "tenant-admin", enabled: false });
    const list = await api("GET", "/users?limit=100", { as: ACME_ADMIN });
    expect(list.body.items.map((u: { email: string }) => u.email)).toContain(email);
    expect(list.body.items.every((u: { email: string }) => !u.email.endsWith("@globex.test"))).toBe(true);
    expect((await api("DELETE", `/users/${id}`, { as: ACME_ADMIN })).status).toBe(204);
    expect((await api("GET", `/users/${id}`, { as: ACME_ADMIN })).status).toBe(404);
  });

  it("changes and deletes users by id: never another tenant's user that took a renamed user's old email", async () => {
    const oldEmail = `${unique("moving")}@acme.test`;
    const newEmail = `${unique("moved")}@acme.test`;
    const mover = (await api("POST", "/users", { as: ACME_ADMIN, body: { email: oldEmail, role: "tenant-user" } })).body
      .userId;
    await users.changeOwnEmail(oldEmail, newEmail);
    const taken = await api("POST", "/users", { as: GLOBEX_ADMIN, body: { email: oldEmail, role: "tenant-user" } });
    expect(taken.status).toBe(201);
    const victim = taken.body.userId;

    const changed = await api("PATCH", `/users/${mover}`, {
      as: ACME_ADMIN,
      body: { role: "tenant-admin", enabled: false },
    });
    expect(changed.body).toMatchObject({ email: newEmail, role: "tenant-admin", enabled: false });
    const victimAsBefore = { email: oldEmail, tenantId: "globex", enabled: true, groups: ["tenant-user"] };
    expect(await users.get(mover)).toEqual({
      email: newEmail,
      tenantId: "acme",
      enabled: false,
      groups: ["tenant-admin"],
    });
    expect(await users.get(victim)).toEqual(victimAsBefore);
    expect((await api("DELETE", `/users/${mover}`, { as: ACME_ADMIN })).status).toBe(204);
    expect(await users.get(mover)).toBeUndefined();
    expect(await users.get(victim)).toEqual(victimAsBefore);
    expect((await api("GET", `/users/${victim}`, { as: GLOBEX_ADMIN })).body).toMatchObject({ email: oldEmail });
  });

  it("refuses the tokens a user holds within seconds of its demotion or disable, not when they expire", async () => {
    const email = `${unique("demoted")}@acme.test`;
    const id = (await api("POST", "/users", { as: ACME_ADMIN, body: { email, role: "tenant-admin" } })).body.userId;
    const before = (await users.signInAs(email)).idToken;
    expect((await api("GET", "/users?limit=1", { token: before })).status).toBe(200);

    expect((await api("PATCH", `/users/${id}`, { as: ACME_ADMIN, body: { role: "tenant-user" } })).status).toBe(200);
    await registryCache();
    // The token still says tenant-admin and has most of its hour left: it is refused on every route.
    for (const path of ["/users?limit=1", "/products"]) {
      const refused = await api("GET", path, { token: before });
      expect(refused.status, path).toBe(401);
    }
    // A token issued since carries the new role.
    const after = (await users.signInAs(email)).idToken;
    expect((await api("GET", "/products", { token: after })).status).toBe(200);
    expect((await api("GET", "/users?limit=1", { token: after })).status).toBe(403);

    expect((await api("PATCH", `/users/${id}`, { as: ACME_ADMIN, body: { enabled: false } })).status).toBe(200);
    await registryCache();
    expect((await api("GET", "/products", { token: after })).status).toBe(401);
    // Enabling the user again does not bring back the tokens it held.
    expect((await api("PATCH", `/users/${id}`, { as: ACME_ADMIN, body: { enabled: true } })).status).toBe(200);
    await registryCache();
    expect((await api("GET", "/products", { token: after })).status).toBe(401);
    expect((await api("GET", "/products", { token: (await users.signInAs(email)).idToken })).status).toBe(200);
  });

  it("answers 403 to a user taken out of its role group in Cognito, on routes that ask for no role too", async () => {
    const email = `${unique("roleless")}@acme.test`;
    const id = (await api("POST", "/users", { as: ACME_ADMIN, body: { email, role: "tenant-user" } })).body.userId;
    await cognito.send(
      new AdminRemoveUserFromGroupCommand({ UserPoolId: stack.userPoolId, Username: id, GroupName: "tenant-user" }),
    );
    const token = (await users.signInAs(email)).idToken;
    for (const path of ["/products", "/orders"]) {
      expect((await api("GET", path, { token })).status, path).toBe(403);
    }
  });

  it("never grants system-admin, and refuses a taken email", async () => {
    const res = await api("POST", "/users", {
      as: ACME_ADMIN,
      body: { email: `${unique("x")}@acme.test`, role: "system-admin" },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ field: "role" });
    expect(
      (await api("POST", "/users", { as: ACME_ADMIN, body: { email: "user@globex.test", role: "tenant-user" } }))
        .status,
    ).toBe(409);
  });

  it("answers 403 to a tenant user on every users route", async () => {
    for (const [method, path] of [
      ["GET", "/users"],
      ["POST", "/users"],
      ["GET", `/users/${crypto.randomUUID()}`],
      ["PATCH", `/users/${crypto.randomUUID()}`],
      ["DELETE", `/users/${crypto.randomUUID()}`],
    ] as const) {
      const res = await api(method, path, {
        as: ACME_USER,
        ...(method === "POST" || method === "PATCH" ? { body: { role: "tenant-user" } } : {}),
      });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
  });
});

describe("tier changes through the gateway", () => {
  it("moves a tenant to silo and back; requests during each move are served in full or get a retryable 503", async () => {
    const { tenantId, token } = await newTenant("Mover");
    for (let i = 0; i < 12; i++) {
      const res = await api("POST", "/products", {
        token,
        body: { name: `item ${i}`, priceCents: i, currency: "EUR", stock: 1 },
      });
      expect(res.status).toBe(201);
    }
    const ids = async () =>
      (await api("GET", "/products?limit=100", { token })).body.items.map((p: { id: string }) => p.id).sort();
    const before = await ids();

    const status = async () =>
      (
        await db.send(
          new GetCommand({ TableName: `${LOCAL_STACK_NAME}-tenants`, Key: { tenantId }, ConsistentRead: true }),
        )
      ).Item?.status;

    for (const tier of ["enterprise", "premium"]) {
      const observed: { status: number; count?: number; retryAfter?: string | null }[] = [];
      // The products function's cached record must be stale when the move starts, and the first
      // request must come once the record says MIGRATING: otherwise a move shorter than the cache's
      // 2 s could pass unseen, whatever the service does.
      await registryCache();
      const move = api("PATCH", `/tenants/${tenantId}`, { as: OPS, body: { tier } });
      let done = false;
      move.finally(() => {
        done = true;
      });
      while (!done && (await status()) !== "MIGRATING") await new Promise((resolve) => setTimeout(resolve, 10));
      while (!done) {
        const res = await api("GET", "/products?limit=100", { token });
        observed.push({
          status: res.status,
          count: res.body.items?.length,
          retryAfter: res.headers.get("retry-after"),
        });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const moved = await move;
      expect(moved.status, JSON.stringify(moved.body)).toBe(200);
      // Streamed, as the move outlasts a buffered answer: the tenant MIGRATING, then on its new tier.
      expect(moved.headers.get("content-type")).toBe("application/x-ndjson");
      const lines = ndjsonLines(moved.body);
      expect(lines).toEqual([
        { type: "tenant", tenant: expect.objectContaining({ tenantId, status: "MIGRATING" }) },
        { type: "tenant", tenant: expect.objectContaining({ tenantId, tier, status: "ACTIVE" }) },
      ]);
      for (const seen of observed) {
        if (seen.status === 200) expect(seen.count).toBe(before.length);
        else {
          expect(seen.status).toBe(503);
          expect(Number(seen.retryAfter)).toBeGreaterThan(0);
        }
      }
      expect(observed.some((seen) => seen.status === 503)).toBe(true);
      await registryCache();
      expect(await ids()).toEqual(before);
    }
  });
});
