import {
  AdminAddUserToGroupCommand,
  AdminRemoveUserFromGroupCommand,
  CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { createCognitoIdentityProvider } from "@tenantkit/shared/identity-provider";
import { createUserDirectory } from "@tenantkit/shared/user-directory";
import { createTenantCredentials, createTokenRevocations } from "@tenantkit/tenant-context";
import { activeTenantRegistry } from "@tenantkit/tenant-context/testing";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { cognitoTestUsers } from "../../test/support/cognito-users.ts";
import { localTenantData } from "../../test/support/tenant-data.ts";
import { localRegion } from "../../tools/local/aws-env.ts";
import { createUsersApp } from "./app.ts";

const { endpoint, context } = inject("localAws");
const userPoolId = context.refs.UserPool as string;
const cognito = new CognitoIdentityProviderClient({});
const suffix = Date.now().toString(36);
const acme = `usr-acme-${suffix}`;
const globex = `usr-globex-${suffix}`;
const users = cognitoTestUsers({
  cognito,
  userPoolId,
  endpoint,
  region: localRegion,
  clientId: context.refs.UserPoolClient as string,
  password: "Users-test-pass-1",
});

const data = localTenantData(context, { users: "UsersTable" });
const tenantsTable = context.refs.TenantsTable as string;
const app = createUsersApp({
  identity: createCognitoIdentityProvider(userPoolId, cognito),
  tenantContext: {
    dataSource: data,
    registry: activeTenantRegistry(),
    metering: false,
    // Written to the tenants table with the tenant's own credentials, as in AWS.
    revocations: createTokenRevocations({
      tableName: tenantsTable,
      credentials: createTenantCredentials({ roleArn: context.attributes["TenantDataRole.Arn"] as string }),
    }),
  },
});
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));

/** The tenant's registry record's revocations of the user: the seconds before which its tokens are refused. */
async function revocationsOf(tenantId: string, userId: string): Promise<number[]> {
  const { Item } = await db.send(new GetCommand({ TableName: tenantsTable, Key: { tenantId }, ConsistentRead: true }));
  const entries: string[] = [...(Item?.revokedTokens ?? [])];
  return entries.filter((entry) => entry.startsWith(`${userId}@`)).map((entry) => Number(entry.split("@")[1]));
}

beforeAll(async () => {
  for (const tenantId of [acme, globex]) {
    const now = new Date().toISOString();
    await db.send(
      new PutCommand({
        TableName: tenantsTable,
        Item: {
          tenantId,
          name: tenantId,
          tier: "basic",
          status: "ACTIVE",
          createdAt: now,
          updatedAt: now,
          kind: "tenant",
        },
      }),
    );
  }
});

/** Calls the users service in process as a tenant admin of `tenantId` (as the authorizer would pass it). */
async function call(tenantId: string, method: string, path: string, body?: unknown, roles = "tenant-admin") {
  const res = await app.request(
    path,
    {
      method,
      ...(body !== undefined && { headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }),
    },
    {
      event: {
        requestContext: {
          requestId: crypto.randomUUID(),
          authorizer: { tenantId, tier: "basic", userId: "admin", roles },
        },
      },
      lambdaContext: { getRemainingTimeInMillis: () => 29_000 },
    },
  );
  const text = await res.text();
  return { status: res.status, body: text && JSON.parse(text) };
}

describe("the users service on moto", () => {
  it("adds, changes and deletes a user of the caller's tenant in Cognito, by its id", async () => {
    const email = `plain@${acme}.test`;
    const created = await call(acme, "POST", "/users", { email, role: "tenant-user" });
    expect(created.status).toBe(201);
    const id = created.body.userId;
    expect(await users.get(id)).toEqual({ email, tenantId: acme, enabled: true, groups: ["tenant-user"] });

    const changed = await call(acme, "PATCH", `/users/${id}`, { role: "tenant-admin", enabled: false });
    expect(changed).toMatchObject({ status: 200, body: { email, role: "tenant-admin", enabled: false } });
    expect(await users.get(id)).toMatchObject({ enabled: false, groups: ["tenant-admin"] });

    expect((await call(acme, "DELETE", `/users/${id}`)).status).toBe(204);
    expect(await users.get(id)).toBeUndefined();
    expect((await call(acme, "GET", `/users/${id}`)).status).toBe(404);
  });

  it("lets only a system admin change or remove a system admin: a tenant admin of its tenant gets 403", async () => {
    const email = `ops@${acme}.test`;
    const id = (await call(acme, "POST", "/users", { email, role: "tenant-admin" })).body.userId;
    await createCognitoIdentityProvider(userPoolId, cognito).grantRole(email, "system-admin");

    expect((await call(acme, "PATCH", `/users/${id}`, { enabled: false })).status).toBe(403);
    expect((await call(acme, "DELETE", `/users/${id}`)).status).toBe(403);
    const unchanged = await users.get(id);
    expect(unchanged?.enabled).toBe(true);
    expect(unchanged?.groups.sort()).toEqual(["system-admin", "tenant-admin"]);

    const asOperator = await call(acme, "PATCH", `/users/${id}`, { enabled: false }, "tenant-admin,system-admin");
    expect(asOperator.status).toBe(200);
    expect(await users.get(id)).toMatchObject({ enabled: false });
  });

  it("takes the role to change from Cognito, not from a directory that lags a change that failed half way", async () => {
    const email = `lagging@${acme}.test`;
    const id = (await call(acme, "POST", "/users", { email, role: "tenant-user" })).body.userId;
    // A promotion whose directory write failed: Cognito has tenant-admin, the directory tenant-user.
    const username = id;
    await cognito.send(
      new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: username, GroupName: "tenant-admin" }),
    );
    await cognito.send(
      new AdminRemoveUserFromGroupCommand({ UserPoolId: userPoolId, Username: username, GroupName: "tenant-user" }),
    );

    expect((await call(acme, "PATCH", `/users/${id}`, { role: "tenant-user" })).status).toBe(200);
    expect(await users.get(id)).toMatchObject({ groups: ["tenant-user"] });

    // A promotion that added the new group but failed to remove the old one: asked again, it ends.
    await cognito.send(
      new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: username, GroupName: "tenant-admin" }),
    );
    expect((await call(acme, "PATCH", `/users/${id}`, { role: "tenant-admin" })).status).toBe(200);
    expect(await users.get(id)).toMatchObject({ groups: ["tenant-admin"] });
  });

  it("revokes the tokens of a user it re-roles, disables or deletes, not of one it enables or leaves as it was", async () => {
    const create = async (name: string): Promise<string> =>
      (await call(acme, "POST", "/users", { email: `${name}@${acme}.test`, role: "tenant-user" })).body.userId;
    const promoted = await create("promoted");
    const disabled = await create("disabled");
    const deleted = await create("deleted");
    const unchanged = await create("unchanged");
    const startedAt = Math.floor(Date.now() / 1000);
    expect((await call(acme, "PATCH", `/users/${unchanged}`, { enabled: true, role: "tenant-user" })).status).toBe(200);
    expect((await call(acme, "PATCH", `/users/${promoted}`, { role: "tenant-admin" })).status).toBe(200);
    expect((await call(acme, "PATCH", `/users/${disabled}`, { enabled: false })).status).toBe(200);
    expect((await call(acme, "DELETE", `/users/${deleted}`)).status).toBe(204);
    expect(await revocationsOf(acme, unchanged)).toEqual([]);
    for (const id of [promoted, disabled, deleted]) {
      const [before, ...more] = await revocationsOf(acme, id);
      expect(more).toEqual([]);
      expect(before).toBeGreaterThan(startedAt);
      expect(before).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 1);
    }
    // Enabling the disabled user again writes no revocation (its entry is taken out first, to see that).
    const [entry] = await revocationsOf(acme, disabled);
    await db.send(
      new UpdateCommand({
        TableName: tenantsTable,
        Key: { tenantId: acme },
        UpdateExpression: "DELETE revokedTokens :entry",
        ExpressionAttributeValues: { ":entry": new Set([`${disabled}@${entry}`]) },
      }),
    );
    expect((await call(acme, "PATCH", `/users/${disabled}`, { enabled: true })).status).toBe(200);
    expect(await revocationsOf(acme, disabled)).toEqual([]);
    expect(await revocationsOf(globex, promoted)).toEqual([]);
  });

  it("never acts on another tenant's user that now has the email of a directory entry", async () => {
    const oldEmail = `moving@${acme}.test`;
    const newEmail = `moved@${acme}.test`;
    const mover = (await call(acme, "POST", "/users", { email: oldEmail, role: "tenant-user" })).body.userId;
    await users.changeOwnEmail(oldEmail, newEmail);
    // The old address is free again; another tenant's admin registers it.
    const created = await call(globex, "POST", "/users", { email: oldEmail, role: "tenant-user" });
    expect(created.status).toBe(201);
    const victim = created.body.userId;
    const victimBefore = { email: oldEmail, tenantId: globex, enabled: true, groups: ["tenant-user"] };
    expect(await users.get(victim)).toEqual(victimBefore);

    // Acme's directory still names the mover by the old address: acme's admin re-roles and
    // disables it, then deletes it. Each acts on acme's (renamed) user, never on globex's.
    const changed = await call(acme, "PATCH", `/users/${mover}`, { role: "tenant-admin", enabled: false });
    expect(changed.status).toBe(200);
    expect(await users.get(victim)).toEqual(victimBefore);
    expect(await users.get(mover)).toEqual({
      email: newEmail,
      tenantId: acme,
      enabled: false,
      groups: ["tenant-admin"],
    });
    expect((await call(acme, "DELETE", `/users/${mover}`)).status).toBe(204);
    expect(await users.get(victim)).toEqual(victimBefore);
    expect(await users.get(mover)).toBeUndefined();
  });

  it("answers 404 for a directory entry that names another tenant's user, and leaves that user alone", async () => {
    const email = `planted@${globex}.test`;
    const victim = (await call(globex, "POST", "/users", { email, role: "tenant-user" })).body.userId;
    const now = new Date().toISOString();
    await createUserDirectory(data.forTenant(acme).table("users")).put({
      userId: victim,
      email,
      role: "tenant-user",
      enabled: true,
      createdAt: now,
      updatedAt: now,
    });
    const victimBefore = { email, tenantId: globex, enabled: true, groups: ["tenant-user"] };

    for (const change of [{ enabled: false }, { role: "tenant-admin" }]) {
      const res = await call(acme, "PATCH", `/users/${victim}`, change);
      expect(res.status).toBe(404);
      expect(JSON.stringify(res.body)).not.toContain(email);
    }
    expect((await call(acme, "DELETE", `/users/${victim}`)).status).toBe(404);
    expect(await users.get(victim)).toEqual(victimBefore);
    // The entry named no user of acme's: it is gone from acme's directory, globex's is intact.
    expect((await call(acme, "GET", `/users/${victim}`)).status).toBe(404);
    expect((await call(globex, "GET", `/users/${victim}`)).body).toMatchObject({ email, enabled: true });
  });
});
