/**
 * Revoked tokens: per user of a tenant, the second before which its tokens are refused, kept in the
 * tenant's registry record. Both the authorizer and `tenantContext()` read that record anyway (cached
 * at most 60 s), so a disabled, re-roled or deleted user's tokens stop working within that time at
 * no extra read, although the tokens themselves stay valid until they expire.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { TenantCredentials } from "../data/tenant-credentials.ts";
import type { TenantRecord } from "../registry/tenant-registry.ts";
import { MAX_TOKEN_AGE_SECONDS } from "./token-verifier.ts";

/** The registry record's attribute: user id -> tokens issued (`iat`) before this second are refused. */
export const REVOKED_TOKENS_ATTRIBUTE = "revokedTokens";

/**
 * Whether the registry record refuses this user's token. `issuedAt` is the token's `iat`; when it is
 * not known (an authorizer decision cached from before it passed `issuedAt`), any revocation of
 * the user refuses it.
 *
 * @example
 * if (isRevoked(record, identity.userId, identity.issuedAt)) throw new UnauthorizedError("token revoked");
 */
export function isRevoked(record: TenantRecord, userId: string, issuedAt: number | undefined): boolean {
  const before = record.revokedTokens?.[userId];
  return before !== undefined && (issuedAt === undefined || issuedAt < before);
}

/** Revokes tokens of the users of one tenant. */
export interface TokenRevocations {
  /**
   * Refuses every token of the user issued up to now (to the second, so one issued in the same second
   * as the call is refused too). `known` is the tenant's record as last read, whose revocations too
   * old to matter (older than any token the verifier accepts) are removed in the same write.
   */
  revokeUser(tenantId: string, userId: string, known?: TenantRecord): Promise<void>;
}

/** `c.var.revocations`: revocations bound to the caller's tenant, which no argument can change. */
export interface TenantTokenRevocations {
  /** Refuses every token of the tenant's user issued up to now, within the registry's cache age. */
  revokeUser(userId: string): Promise<void>;
}

export interface TokenRevocationsOptions {
  /** the tenants table (the registry) */
  tableName: string;
  /** the tenant's own credentials: the tenant data role may change only this attribute of its own record */
  credentials?: TenantCredentials;
  /** one client for every tenant, in place of one per tenant with its credentials (tests) */
  client?: DynamoDBDocumentClient;
  now?: () => number;
}

/** Revocations a write removes at most, so that its expression stays small. */
const MAX_PRUNED = 20;

/** Tries before giving up when concurrent writes keep changing the map under us. */
const ATTEMPTS = 3;

/** Revocations older than any token the verifier accepts refuse nothing more: they can go. */
function stale(known: TenantRecord | undefined, userId: string, nowSeconds: number): [string, number][] {
  const cutoff = nowSeconds - MAX_TOKEN_AGE_SECONDS - 60;
  return Object.entries(known?.revokedTokens ?? {})
    .filter(([id, before]) => id !== userId && before < cutoff)
    .slice(0, MAX_PRUNED);
}

/**
 * Creates the writer of revocations. The record is written with the tenant's own credentials
 * (IAM lets them change `revokedTokens` of that tenant's record and nothing else) and always at the
 * given tenant's key, never one a caller supplies.
 *
 * @example
 * const revocations = createTokenRevocations({ tableName: requireEnv("TENANTS_TABLE"), credentials });
 * await revocations.revokeUser("acme", userId, record);
 */
export function createTokenRevocations(options: TokenRevocationsOptions): TokenRevocations {
  const now = options.now ?? Date.now;

  async function write(client: DynamoDBDocumentClient, tenantId: string, userId: string, known?: TenantRecord) {
    const nowSeconds = Math.floor(now() / 1000);
    // `iat` counts whole seconds: a token issued during this second has this second as its `iat`.
    const before = nowSeconds + 1;
    let pruned = stale(known, userId, nowSeconds);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        await client.send(addRevocation(options.tableName, tenantId, userId, before, pruned));
        return;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      if (pruned.length > 0) {
        // Someone changed a revocation this write was removing: leave them for a later write.
        pruned = [];
        continue;
      }
      try {
        await client.send(firstRevocation(options.tableName, tenantId, userId, before));
        return;
      } catch (error) {
        // The map appeared meanwhile: add to it on the next try.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    throw new Error(`could not record the revocation of tenant ${tenantId}'s user: the record kept changing`);
  }

  return {
    async revokeUser(tenantId, userId, known) {
      if (options.client) return write(options.client, tenantId, userId, known);
      const client = DynamoDBDocumentClient.from(
        new DynamoDBClient({ credentials: options.credentials?.forTenant(tenantId) }),
      );
      try {
        await write(client, tenantId, userId, known);
      } finally {
        client.destroy();
      }
    },
  };
}

/** Sets the user's revocation in the existing map, removing stale ones if they are still as read. */
function addRevocation(
  tableName: string,
  tenantId: string,
  userId: string,
  before: number,
  pruned: [string, number][],
): UpdateCommand {
  const names: Record<string, string> = { "#revoked": REVOKED_TOKENS_ATTRIBUTE, "#user": userId };
  const values: Record<string, number> = { ":before": before };
  const conditions = ["attribute_exists(#revoked)"];
  const removes = pruned.map(([id, at], i) => {
    names[`#stale${i}`] = id;
    values[`:stale${i}`] = at;
    conditions.push(`#revoked.#stale${i} = :stale${i}`);
    return `#revoked.#stale${i}`;
  });
  return new UpdateCommand({
    TableName: tableName,
    Key: { tenantId },
    UpdateExpression: `SET #revoked.#user = :before${removes.length > 0 ? ` REMOVE ${removes.join(", ")}` : ""}`,
    ConditionExpression: conditions.join(" AND "),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  });
}

/** Creates the map with the user's revocation, on a record that exists and has none yet. */
function firstRevocation(tableName: string, tenantId: string, userId: string, before: number): UpdateCommand {
  return new UpdateCommand({
    TableName: tableName,
    Key: { tenantId },
    UpdateExpression: "SET #revoked = :map",
    ConditionExpression: "attribute_exists(tenantId) AND attribute_not_exists(#revoked)",
    ExpressionAttributeNames: { "#revoked": REVOKED_TOKENS_ATTRIBUTE },
    ExpressionAttributeValues: { ":map": { [userId]: before } },
  });
}
