import { APIGatewayClient, GetApiKeysCommand } from "@aws-sdk/client-api-gateway";
import {
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  UpdateUserAttributesCommand,
  UserNotFoundException,
} from "@aws-sdk/client-cognito-identity-provider";
import {
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-dynamodb";
import { DescribeSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { EmailTakenError } from "@tenantkit/shared/identity-provider";
import { createUserDirectory } from "@tenantkit/shared/user-directory";
import {
  createTenantCredentials,
  createTenantDataSource,
  createTokenRevocations,
  NotFoundError,
  type Tier,
} from "@tenantkit/tenant-context";
import {
  activeTenantRegistry,
  captureOutput,
  refusingVerifier,
  unreachableDataSource,
} from "@tenantkit/tenant-context/testing";
import { describe, expect, inject, it, vi } from "vitest";
import { functionEnvironment } from "../../tools/local/seed.ts";
import { loadTemplate } from "../../tools/local/template.ts";
import { createProductStore } from "../products/product-store.ts";
import { createProduct } from "../products/use-cases/create-product.ts";
import { createTenantsApp } from "./app.ts";
import { type ControlPlane, createControlPlane } from "./control-plane.ts";
import { TenantExistsError } from "./ports.ts";
import { changeTier, startTierChange } from "./use-cases/change-tier.ts";
import { type ExportLine, exportAndDeleteTenant, startOffboarding } from "./use-cases/offboard-tenant.ts";
import { InjectedFaultError, ONBOARDING_STEPS, onboardTenant } from "./use-cases/onboard-tenant.ts";

const { context } = inject("localAws");
const env = functionEnvironment(loadTemplate(), context, "TenantsFunction");
const built = createControlPlane(env);
// No container caches a tenant record or serves a request here: nothing to wait for.
const controlPlane = {
  ...built,
  offboarding: { ...built.offboarding, settle: async () => {} },
  tierChange: { ...built.tierChange, settle: async () => {} },
};
const stage = context.parameters.Stage as string;
const stack = context.pseudo["AWS::StackName"] as string;
const cognito = new CognitoIdentityProviderClient({});
const dynamodb = new DynamoDBClient({});
const secrets = new SecretsManagerClient({});
const apigateway = new APIGatewayClient({});
const data = createTenantDataSource({
  tables: { products: context.refs.ProductsTable as string, users: context.refs.UsersTable as string },
  credentials: createTenantCredentials({ roleArn: context.attributes["TenantDataRole.Arn"] as string }),
});
/** What API Gateway passes on after the Lambda authorizer allowed a system admin's request. */
const SYSTEM_ADMIN = { tenantId: "operator", tier: "basic", userId: "u1", roles: "system-admin" };
let sequence = 0;
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++sequence}`;

async function userExists(email: string) {
  return (await tenantOfUser(email)) !== undefined;
}
/** The tenant claim of the user with that email or id; undefined when there is no such user. */
async function tenantOfUser(emailOrId: string) {
  try {
    const { UserAttributes = [] } = await cognito.send(
      new AdminGetUserCommand({ UserPoolId: context.refs.UserPool, Username: emailOrId }),
    );
    return UserAttributes.find((a) => a.Name === "custom:tenantId")?.Value;
  } catch (error) {
    if (error instanceof UserNotFoundException) return undefined;
    throw error;
  }
}
const tableExists = (name: string) =>
  dynamodb.send(new DescribeTableCommand({ TableName: name })).then(
    () => true,
    (e) => (e instanceof ResourceNotFoundException ? false : Promise.reject(e)),
  );
const secretExists = (tenantId: string) =>
  secrets.send(new DescribeSecretCommand({ SecretId: `/${stage}/tenants/${tenantId}/webhook-signing-key` })).then(
    () => true,
    () => false,
  );
async function usageKeyExists(tenantId: string) {
  const { items = [] } = await apigateway.send(new GetApiKeysCommand({ nameQuery: `${stack}-tenant-${tenantId}` }));
  return items.some((k) => k.name === `${stack}-tenant-${tenantId}`);
}
const directoryCount = async (tenantId: string) => (await data.forTenant(tenantId).table("users").query()).items.length;

/** Everything onboarding can leave behind, for one tenant. */
async function traces(tenantId: string, email: string) {
  return {
    record: (await controlPlane.onboarding.records.get(tenantId)) !== undefined,
    user: await userExists(email),
    directory: (await directoryCount(tenantId)) > 0,
    usageKey: await usageKeyExists(tenantId),
    secret: await secretExists(tenantId),
    tables: await tableExists(`${stack}-tenant-${tenantId}-products`),
  };
}
const nothing = { record: false, user: false, directory: false, usageKey: false, secret: false, tables: false };

const request = (tier: Tier = "enterprise") => {
  const tenantId = unique("saga");
  return { tenantId, name: tenantId, tier, adminEmail: `admin@${tenantId}.test` };
};

describe("the onboarding saga on moto", () => {
  it.each(ONBOARDING_STEPS)("leaves nothing behind when step '%s' fails", async (step) => {
    const req = request();
    await expect(onboardTenant({ ...controlPlane.onboarding, failAt: step }, req)).rejects.toBeInstanceOf(
      InjectedFaultError,
    );
    expect(await traces(req.tenantId, req.adminEmail)).toEqual(nothing);
  });

  it("undoes every other step when one undo keeps failing, and tries a failing undo again", async () => {
    const directory = controlPlane.onboarding.directory;
    if (!directory) throw new Error("the control plane has a user directory");
    const flaky = (failures: number) => {
      let left = failures;
      return {
        ...directory,
        removeUser: async (tenantId: string, userId: string) => {
          if (left-- > 0) throw new Error("throttled");
          await directory.removeUser(tenantId, userId);
        },
      };
    };
    const once = request("basic");
    await expect(
      onboardTenant({ ...controlPlane.onboarding, directory: flaky(1), failAt: "activate" }, once),
    ).rejects.toBeInstanceOf(InjectedFaultError);
    expect(await traces(once.tenantId, once.adminEmail)).toEqual(nothing);

    const always = request("basic");
    await expect(
      onboardTenant({ ...controlPlane.onboarding, directory: flaky(Infinity), failAt: "activate" }, always),
    ).rejects.toBeInstanceOf(InjectedFaultError);
    // The PENDING record stays, for the operator to offboard what is left.
    expect(await traces(always.tenantId, always.adminEmail)).toEqual({ ...nothing, record: true, directory: true });
    const record = await startOffboarding(controlPlane.onboarding.records, always.tenantId);
    for await (const _line of exportAndDeleteTenant(controlPlane.offboarding, record));
    expect(await traces(always.tenantId, always.adminEmail)).toEqual(nothing);
  });

  it("refuses to move a silo tenant whose record names no dedicated tables (409): nothing to move from", async () => {
    const req = request("basic");
    const now = new Date().toISOString();
    await controlPlane.onboarding.records.create({
      tenantId: req.tenantId,
      name: req.name,
      tier: "enterprise",
      status: "ACTIVE",
      createdAt: now,
      updatedAt: now,
    });
    await expect(changeTier(controlPlane.tierChange, req.tenantId, "premium")).rejects.toThrow(
      "names no dedicated tables",
    );
    expect(await controlPlane.onboarding.records.get(req.tenantId)).toMatchObject({ status: "ACTIVE" });
  });

  it("removes a record only in the status its run left it: never one a later run made for the id", async () => {
    const { records } = controlPlane.onboarding;
    const req = request("basic");
    const now = new Date();
    await records.create({
      tenantId: req.tenantId,
      name: req.name,
      tier: "basic",
      status: "ACTIVE",
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    });
    expect(await records.remove(req.tenantId, "PENDING")).toBe(false);
    expect(await records.remove(req.tenantId, "OFFBOARDING")).toBe(false);
    expect(await records.get(req.tenantId)).toMatchObject({ status: "ACTIVE" });
    expect(await records.remove(req.tenantId, "ACTIVE")).toBe(true);
    expect(await records.remove(req.tenantId, "ACTIVE")).toBe(true);
  });

  it("answers a committed onboarding as done when its lifecycle event cannot be published, and logs the loss", async () => {
    const noBus = createControlPlane({ ...env, EVENT_BUS_NAME: unique("no-such-bus") });
    const req = request("basic");
    const output = captureOutput();
    let record: Awaited<ReturnType<typeof onboardTenant>>;
    try {
      record = await onboardTenant(noBus.onboarding, req);
    } finally {
      output.restore();
    }
    expect(record.status).toBe("ACTIVE");
    expect(
      output.lines().find((line) => line.message === "lifecycle event not published; the change it reports stands"),
    ).toMatchObject({ level: "ERROR", tenant_id: req.tenantId, event_type: "TenantOnboarded" });
  });

  it("makes an enterprise tenant fully ACTIVE: record, admin, directory, own key, secret, dedicated tables", async () => {
    const req = request();
    const record = await onboardTenant(controlPlane.onboarding, req);
    expect(record).toMatchObject({ status: "ACTIVE", tier: "enterprise" });
    expect(await traces(req.tenantId, req.adminEmail)).toEqual({
      record: true,
      user: true,
      directory: true,
      usageKey: true,
      secret: true,
      tables: true,
    });
    expect((await controlPlane.onboarding.records.get(req.tenantId))?.tables).toEqual({
      products: `${stack}-tenant-${req.tenantId}-products`,
      orders: `${stack}-tenant-${req.tenantId}-orders`,
      audit: `${stack}-tenant-${req.tenantId}-audit`,
    });
  });

  it("refuses a taken tenant id and a taken email, creating nothing", async () => {
    const first = request("basic");
    await onboardTenant(controlPlane.onboarding, first);
    const sameName = { ...first, adminEmail: `other@${first.tenantId}.test` };
    await expect(onboardTenant(controlPlane.onboarding, sameName)).rejects.toBeInstanceOf(TenantExistsError);
    expect(await userExists(sameName.adminEmail)).toBe(false);
    const sameEmail = { ...request("basic"), adminEmail: first.adminEmail };
    await expect(onboardTenant(controlPlane.onboarding, sameEmail)).rejects.toBeInstanceOf(EmailTakenError);
    expect(await traces(sameEmail.tenantId, `none@${sameEmail.tenantId}.test`)).toEqual(nothing);
  });
});

describe("tier changes on moto", () => {
  const deps = controlPlane.tierChange;

  it("moves a tenant's products from pooled to silo and back without losing or duplicating one", async () => {
    const req = request("basic");
    await onboardTenant(controlPlane.onboarding, req);
    const pooled = createProductStore(data.forTenant(req.tenantId).table("products"));
    const created = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        createProduct(pooled, { name: `p${i}`, priceCents: i, currency: "EUR", stock: i }),
      ),
    );
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    const all = async (tables?: Record<string, string>) => {
      const store = createProductStore(data.forTenant(req.tenantId, tables).table("products"));
      return (await store.page(100)).items.sort(byId);
    };

    const silo = await changeTier(deps, req.tenantId, "enterprise");
    expect(silo).toMatchObject({ tier: "enterprise", status: "ACTIVE" });
    const tables = (await controlPlane.onboarding.records.get(req.tenantId))?.tables;
    expect(tables).toBeDefined();
    expect(await all(tables)).toEqual(created.sort(byId));
    expect(await all()).toEqual([]);

    await changeTier(deps, req.tenantId, "standard");
    const record = await controlPlane.onboarding.records.get(req.tenantId);
    expect(record).toMatchObject({ tier: "standard", status: "ACTIVE" });
    expect(record?.tables).toBeUndefined();
    expect(await all()).toEqual(created.sort(byId));
    expect(await tableExists(`${stack}-tenant-${req.tenantId}-products`)).toBe(false);
  });
});

describe("a streamed tier change on moto", () => {
  /** The control plane with a move's first wait lasting `ms`, recording when it has passed. */
  function withSlowMoves(ms: number) {
    const waits = { over: false };
    const settle = () =>
      new Promise<void>((resolve) =>
        setTimeout(() => {
          waits.over = true;
          resolve();
        }, ms),
      );
    const slow: ControlPlane = {
      ...controlPlane,
      tierChange: { ...controlPlane.tierChange, settle },
      forRequest: () => slow,
    };
    return { slow, waits };
  }

  it("answers PATCH with the tenant MIGRATING at once, and finishes the move when the client leaves after that", async () => {
    const req = request("basic");
    await onboardTenant(controlPlane.onboarding, req);
    const { slow, waits } = withSlowMoves(300);
    const app = createTenantsApp({
      controlPlane: slow,
      tenantContext: {
        dataSource: unreachableDataSource(),
        verifier: refusingVerifier(),
        registry: activeTenantRegistry(),
        metering: false,
      },
    });
    const res = await app.request(
      `/tenants/${req.tenantId}`,
      {
        method: "PATCH",
        body: JSON.stringify({ tier: "enterprise" }),
        headers: { "Content-Type": "application/json" },
      },
      { event: { requestContext: { requestId: "move", authorizer: SYSTEM_ADMIN } } },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = JSON.parse(new TextDecoder().decode((await reader.read()).value).split("\n")[0] as string);
    expect(first).toMatchObject({ type: "tenant", tenant: { tenantId: req.tenantId, status: "MIGRATING" } });
    // The client goes away: the cancel ends only once the move has.
    await reader.cancel();
    expect(waits.over).toBe(true);
    expect(await controlPlane.onboarding.records.get(req.tenantId)).toMatchObject({
      tier: "enterprise",
      status: "ACTIVE",
    });
  });

  it("finishes the move when the lines are stopped before their second is asked for", async () => {
    const req = request("basic");
    await onboardTenant(controlPlane.onboarding, req);
    const { slow, waits } = withSlowMoves(200);
    const started = await startTierChange(slow.tierChange, req.tenantId, "enterprise");
    expect(started.record).toMatchObject({ tier: "basic", status: "MIGRATING" });
    const lines = started.move as AsyncGenerator<{ record: { status: string } }>;
    expect((await lines.next()).value?.record.status).toBe("MIGRATING");
    await lines.return(undefined);
    expect(waits.over).toBe(true);
    const record = await controlPlane.onboarding.records.get(req.tenantId);
    expect(record).toMatchObject({ tier: "enterprise", status: "ACTIVE" });
    expect(record?.tables?.products).toBe(`${stack}-tenant-${req.tenantId}-products`);
  });
});

describe("the waits of a tier change and an offboarding", () => {
  it("last the registry's max age and the time an admitted request may still write for, 30 s by default", async () => {
    const { Parameters, Globals } = loadTemplate();
    expect(Parameters?.AdmittedWorkSeconds?.Default).toBeGreaterThanOrEqual(Globals?.Function.Timeout);
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    try {
      const { ADMITTED_WORK_SECONDS: _unset, ...withDefault } = env;
      const { offboarding, tierChange } = createControlPlane({ ...withDefault, TENANT_REGISTRY_MAX_AGE_SECONDS: "2" });
      for (const settle of [offboarding.settle, tierChange.settle]) {
        let settled = false;
        settle?.().then(() => {
          settled = true;
        });
        await vi.advanceTimersByTimeAsync(31_999);
        expect(settled).toBe(false);
        await vi.advanceTimersByTimeAsync(1);
        expect(settled).toBe(true);
      }
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("offboarding on moto", () => {
  it("also removes the copy a tier change failed to clean up after its switch; a later move does not bring it back", async () => {
    const req = request("basic");
    await onboardTenant(controlPlane.onboarding, req);
    await createProduct(createProductStore(data.forTenant(req.tenantId).table("products")), {
      name: "left behind",
      priceCents: 1,
      currency: "EUR",
      stock: 1,
    });
    const pooledProducts = async () => (await data.forTenant(req.tenantId).table("products").query()).items.length;
    // The pooled copy's removal fails once, after the switch to the dedicated tables.
    let failing = true;
    const movable = controlPlane.tierChange.data;
    const deps = {
      ...controlPlane.tierChange,
      data: {
        ...movable,
        deleteAll: async (tenantId: string, tables?: Record<string, string>) => {
          if (!tables && failing) {
            failing = false;
            throw new Error("throttled");
          }
          await movable.deleteAll(tenantId, tables);
        },
      },
    };
    await expect(changeTier(deps, req.tenantId, "enterprise")).rejects.toThrow("throttled");
    expect(await pooledProducts()).toBe(1);

    // The tenant deletes the product in its dedicated table; moving back must not bring it again.
    const silo = await controlPlane.onboarding.records.get(req.tenantId);
    const dedicated = data.forTenant(req.tenantId, silo?.tables).table("products");
    for (const item of (await dedicated.query()).items) await dedicated.delete({ productId: item.productId });
    await changeTier(controlPlane.tierChange, req.tenantId, "premium");
    expect(await pooledProducts()).toBe(0);
    await changeTier(controlPlane.tierChange, req.tenantId, "enterprise");
    await createProduct(createProductStore(data.forTenant(req.tenantId).table("products")), {
      name: "left behind again",
      priceCents: 1,
      currency: "EUR",
      stock: 1,
    });

    const record = await startOffboarding(controlPlane.onboarding.records, req.tenantId);
    for await (const _line of exportAndDeleteTenant(controlPlane.offboarding, record));
    expect(await pooledProducts()).toBe(0);
  });

  it("streams the tenant's data out, then deletes everything; a second offboarding is 404", async () => {
    const req = request("enterprise");
    const record = await onboardTenant(controlPlane.onboarding, req);
    const store = createProductStore(data.forTenant(req.tenantId, record.tables).table("products"));
    await createProduct(store, { name: "kept in the export", priceCents: 1, currency: "EUR", stock: 1 });
    await createTokenRevocations({ tableName: context.refs.TenantsTable as string }).revokeUser(req.tenantId, "gone");
    // The layer's bookkeeping, deleted but not exported: a stored answer of an idempotent request,
    // and an event waiting in the outbox.
    const bookkeeping = [
      [context.refs.IdempotencyTable as string, { id: { S: "requests#k1" } }],
      [context.refs.OutboxTable as string, { eventId: { S: crypto.randomUUID() }, shard: { S: "0" } }],
    ] as const;
    for (const [table, key] of bookkeeping) {
      await dynamodb.send(new PutItemCommand({ TableName: table, Item: { tenantId: { S: req.tenantId }, ...key } }));
    }
    const bookkeepingRecords = async () => {
      let count = 0;
      for (const [table] of bookkeeping) {
        const query = new QueryCommand({
          TableName: table,
          KeyConditionExpression: "tenantId = :t",
          ExpressionAttributeValues: { ":t": { S: req.tenantId } },
        });
        count += (await dynamodb.send(query)).Count ?? 0;
      }
      return count;
    };
    expect(await bookkeepingRecords()).toBe(2);

    const lines: ExportLine[] = [];
    // The export waits, after the tenant's line, until no container can admit the tenant any more.
    let linesWhenSettled: number | undefined;
    const settle = async () => {
      linesWhenSettled = lines.length;
    };
    for await (const line of exportAndDeleteTenant(
      { ...controlPlane.offboarding, settle },
      await startOffboarding(controlPlane.onboarding.records, req.tenantId),
    )) {
      lines.push(line);
    }
    expect(linesWhenSettled).toBe(1);
    expect(lines[0]).toMatchObject({ type: "tenant", record: { tenantId: req.tenantId } });
    // The layer's bookkeeping of revoked tokens is not the tenant's data.
    expect(lines[0]).not.toHaveProperty("record.revokedTokens");
    expect(
      lines
        .filter((l) => l.type === "item")
        .map((l) => (l as { table: string }).table)
        .sort(),
    ).toEqual(["products", "users"]);
    expect(lines.at(-1)).toEqual({ type: "deleted", tenantId: req.tenantId, items: 2 });
    expect(await traces(req.tenantId, req.adminEmail)).toEqual(nothing);
    // A tenant that takes this id later must not be answered from this one's records.
    expect(await bookkeepingRecords()).toBe(0);
    await expect(startOffboarding(controlPlane.onboarding.records, req.tenantId)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("can be run again after stopping half way, and then leaves nothing, its users in Cognito included", async () => {
    const req = request("basic");
    await onboardTenant(controlPlane.onboarding, req);
    const stopping = {
      ...controlPlane.offboarding,
      identity: {
        ...controlPlane.offboarding.identity,
        changeTenantUser: async () => {
          throw new Error("the function timed out");
        },
      },
    };
    const run = async (deps: typeof controlPlane.offboarding) => {
      const record = await startOffboarding(controlPlane.onboarding.records, req.tenantId);
      for await (const _line of exportAndDeleteTenant(deps, record));
    };
    await expect(run(stopping)).rejects.toThrow("the function timed out");
    await run(controlPlane.offboarding);
    expect(await traces(req.tenantId, req.adminEmail)).toEqual(nothing);
  });

  it("deletes its users by id: a renamed user goes, another tenant's user with its old email stays", async () => {
    const a = { ...request("basic"), adminPassword: "Renamed-admin-pass-1" };
    await onboardTenant(controlPlane.onboarding, a);
    // A's admin changes its own email, as the app client allows (WriteAttributes: [email]).
    const { AuthenticationResult } = await cognito.send(
      new InitiateAuthCommand({
        ClientId: context.refs.UserPoolClient as string,
        AuthFlow: "USER_PASSWORD_AUTH",
        AuthParameters: { USERNAME: a.adminEmail, PASSWORD: a.adminPassword },
      }),
    );
    const renamed = `renamed@${a.tenantId}.test`;
    await cognito.send(
      new UpdateUserAttributesCommand({
        AccessToken: AuthenticationResult?.AccessToken,
        UserAttributes: [{ Name: "email", Value: renamed }],
      }),
    );
    // B's admin takes the freed address; C's admin is planted in A's directory by its id.
    const b = { ...request("basic"), adminEmail: a.adminEmail };
    await onboardTenant(controlPlane.onboarding, b);
    const c = request("basic");
    await onboardTenant(controlPlane.onboarding, c);
    const [planted] = (await data.forTenant(c.tenantId).table("users").query<{ userId: string }>()).items;
    const now = new Date().toISOString();
    await createUserDirectory(data.forTenant(a.tenantId).table("users")).put({
      userId: planted?.userId as string,
      email: c.adminEmail,
      role: "tenant-admin",
      enabled: true,
      createdAt: now,
      updatedAt: now,
    });

    const record = await startOffboarding(controlPlane.onboarding.records, a.tenantId);
    for await (const _line of exportAndDeleteTenant(controlPlane.offboarding, record));
    expect(await userExists(renamed)).toBe(false);
    expect(await tenantOfUser(b.adminEmail)).toBe(b.tenantId);
    expect(await tenantOfUser(planted?.userId as string)).toBe(c.tenantId);
    expect(await traces(a.tenantId, renamed)).toEqual(nothing);
  });
});
