import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, inject, it } from "vitest";
import { createTenantCredentials } from "../data/tenant-credentials.ts";
import { createTenantRegistry, type TenantRecord } from "../registry/tenant-registry.ts";
import { createTokenRevocations, isRevoked } from "./token-revocations.ts";
import { MAX_TOKEN_AGE_SECONDS } from "./token-verifier.ts";

const { context } = inject("localAws");
const tableName = context.refs.TenantsTable as string;
const admin = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const suffix = Date.now().toString(36);
const NOW_MS = 1_764_500_000_500;
const NOW = Math.floor(NOW_MS / 1000);

const revocations = createTokenRevocations({
  tableName,
  credentials: createTenantCredentials({ roleArn: context.attributes["TenantDataRole.Arn"] as string }),
  now: () => NOW_MS,
});

async function tenant(name: string, extra: Partial<TenantRecord> = {}): Promise<TenantRecord> {
  const record: TenantRecord = {
    tenantId: `${name}-${suffix}`,
    name,
    tier: "basic",
    status: "ACTIVE",
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
    ...extra,
  };
  await admin.send(new PutCommand({ TableName: tableName, Item: { ...record, kind: "tenant" } }));
  return record;
}

const stored = async (tenantId: string) =>
  (await admin.send(new GetCommand({ TableName: tableName, Key: { tenantId }, ConsistentRead: true })))
    .Item as TenantRecord;

describe("token revocations (the tenants table on moto, with the tenant's own credentials)", () => {
  it("records a user's revocation in its tenant's record, refusing the tokens issued up to this second", async () => {
    const { tenantId } = await tenant("revoking");
    await revocations.revokeUser(tenantId, "user-1");
    await revocations.revokeUser(tenantId, "user-2");
    const record = await stored(tenantId);
    expect(record.revokedTokens).toEqual(new Set([`user-1@${NOW + 1}`, `user-2@${NOW + 1}`]));
    expect(record).toMatchObject({ status: "ACTIVE", tier: "basic" });
    expect(isRevoked(record, "user-1", NOW)).toBe(true);
    expect(isRevoked(record, "user-1", NOW + 1)).toBe(false);
    expect(isRevoked(record, "user-3", NOW)).toBe(false);
    // What the services and the authorizer read: the registry's record.
    const registry = createTenantRegistry({ tableName, maxAgeSeconds: 0 });
    expect((await registry.get(tenantId))?.revokedTokens).toEqual(record.revokedTokens);
  });

  it("refuses by a user's latest revocation, and leaves the other tenants' records alone", async () => {
    const { tenantId } = await tenant("again", { revokedTokens: new Set(["user-1@100"]) });
    const other = await tenant("bystander", { revokedTokens: new Set(["user-1@100"]) });
    await revocations.revokeUser(tenantId, "user-1");
    const record = await stored(tenantId);
    expect(record.revokedTokens).toEqual(new Set(["user-1@100", `user-1@${NOW + 1}`]));
    expect(isRevoked(record, "user-1", NOW)).toBe(true);
    expect(await stored(other.tenantId)).toMatchObject({ revokedTokens: new Set(["user-1@100"]), status: "ACTIVE" });
  });

  it("removes the entries of the record as read that are older than any token still accepted", async () => {
    const old = NOW - MAX_TOKEN_AGE_SECONDS - 3600;
    const recent = NOW - 3600;
    const record = await tenant("pruning", { revokedTokens: new Set([`gone@${old}`, `kept@${recent}`]) });
    // Since the record was read, "gone" was revoked again: that newer entry is its own and stays.
    await revocations.revokeUser(record.tenantId, "gone");
    await revocations.revokeUser(record.tenantId, "user-1", record);
    expect((await stored(record.tenantId)).revokedTokens).toEqual(
      new Set([`kept@${recent}`, `gone@${NOW + 1}`, `user-1@${NOW + 1}`]),
    );
  });

  it("replaces the user's earlier entries with its new one, so the set holds one entry per user", async () => {
    const earlier = NOW - 3600;
    const record = await tenant("churning", {
      revokedTokens: new Set([`user-1@${earlier}`, `user-1@${earlier + 60}`, `user-2@${earlier}`]),
    });
    await revocations.revokeUser(record.tenantId, "user-1", record);
    const after = await stored(record.tenantId);
    expect(after.revokedTokens).toEqual(new Set([`user-1@${NOW + 1}`, `user-2@${earlier}`]));
    expect(isRevoked(after, "user-1", NOW)).toBe(true);
    expect(isRevoked(after, "user-2", earlier - 1)).toBe(true);
  });

  it("does not create a record for a tenant that has none", async () => {
    const tenantId = `missing-${suffix}`;
    await expect(revocations.revokeUser(tenantId, "user-1")).rejects.toThrow(/has no registry record/);
    expect(await stored(tenantId)).toBeUndefined();
  });
});
