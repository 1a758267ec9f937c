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
    expect(record.revokedTokens).toEqual({ "user-1": NOW + 1, "user-2": NOW + 1 });
    expect(record).toMatchObject({ status: "ACTIVE", tier: "basic" });
    expect(isRevoked(record, "user-1", NOW)).toBe(true);
    expect(isRevoked(record, "user-1", NOW + 1)).toBe(false);
    expect(isRevoked(record, "user-3", NOW)).toBe(false);
    // What the services and the authorizer read: the registry's record.
    const registry = createTenantRegistry({ tableName, maxAgeSeconds: 0 });
    expect((await registry.get(tenantId))?.revokedTokens).toEqual(record.revokedTokens);
  });

  it("moves a user's revocation forward, and leaves the other tenants' records alone", async () => {
    const { tenantId } = await tenant("again", { revokedTokens: { "user-1": 100 } });
    const other = await tenant("bystander", { revokedTokens: { "user-1": 100 } });
    await revocations.revokeUser(tenantId, "user-1");
    expect((await stored(tenantId)).revokedTokens).toEqual({ "user-1": NOW + 1 });
    expect(await stored(other.tenantId)).toMatchObject({ revokedTokens: { "user-1": 100 }, status: "ACTIVE" });
  });

  it("removes, in the same write, the revocations older than any token still accepted, as last read", async () => {
    const old = NOW - MAX_TOKEN_AGE_SECONDS - 3600;
    const recent = NOW - 3600;
    const record = await tenant("pruning", { revokedTokens: { gone: old, kept: recent } });
    await revocations.revokeUser(record.tenantId, "user-1", record);
    expect((await stored(record.tenantId)).revokedTokens).toEqual({ kept: recent, "user-1": NOW + 1 });
  });

  it("keeps a revocation that changed since the record was read, rather than pruning it", async () => {
    const old = NOW - MAX_TOKEN_AGE_SECONDS - 3600;
    const read = await tenant("concurrent", { revokedTokens: { gone: old, moved: old } });
    await revocations.revokeUser(read.tenantId, "moved");
    await revocations.revokeUser(read.tenantId, "user-1", read);
    // The prune is left to a later write: it must not take the fresh revocation with it.
    expect((await stored(read.tenantId)).revokedTokens).toEqual({ gone: old, moved: NOW + 1, "user-1": NOW + 1 });
  });

  it("does not create a record for a tenant that has none", async () => {
    const tenantId = `missing-${suffix}`;
    await expect(revocations.revokeUser(tenantId, "user-1")).rejects.toThrow(/could not record the revocation/);
    expect(await stored(tenantId)).toBeUndefined();
  });
});
