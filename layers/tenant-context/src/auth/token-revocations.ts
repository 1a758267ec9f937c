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

/**
 * The registry record's attribute: a string set of `<userId>@<second>` entries, each refusing that
 * user's tokens issued (`iat`) before that second. A set, not a map by user id, so that a write
 * names this one attribute and no user id as a path: the tenant data role's IAM policy allows
 * exactly this attribute.
 */
export const REVOKED_TOKENS_ATTRIBUTE = "revokedTokens";

/** One entry of the set. User ids are Cognito `sub`s (UUIDs), which hold no `@`. */
const revocationEntry = (userId: string, before: number) => `${userId}@${before}`;

function parseEntry(entry: string): [userId: string, before: number] | undefined {
  const at = entry.lastIndexOf("@");
  const before = Number(entry.slice(at + 1));
  return at > 0 && Number.isSafeInteger(before) ? [entry.slice(0, at), before] : undefined;
}

/** Each record's set read once into user id -> latest revocation, for as long as the record is cached. */
const parsed = new WeakMap<ReadonlySet<string>, Map<string, number>>();

function revocationsOf(entries: ReadonlySet<string>): Map<string, number> {
  let byUser = parsed.get(entries);
  if (!byUser) {
    byUser = new Map();
    for (const entry of entries) {
      const revocation = parseEntry(entry);
      if (revocation && revocation[1] > (byUser.get(revocation[0]) ?? 0)) byUser.set(...revocation);
    }
    parsed.set(entries, byUser);
  }
  return byUser;
}

/**
 * Whether the registry record refuses this user's token. `issuedAt` is the token's `iat`; when it is
 * not known (an authorizer decision cached from before it passed `issuedAt`), any revocation of
 * the user refuses it.
 *
 * @example
 * if (isRevoked(record, identity.userId, identity.issuedAt)) throw new UnauthorizedError("token revoked");
 */
export function isRevoked(record: TenantRecord, userId: string, issuedAt: number | undefined): boolean {
  if (!record.revokedTokens) return false;
  const before = revocationsOf(record.revokedTokens).get(userId);
  return before !== undefined && (issuedAt === undefined || issuedAt < before);
}

/**
 * How far before its tenant's creation (to the second) a token may say it was issued: Cognito's
 * clock and Lambda's are both kept by Amazon Time Sync, and a new tenant's admin can sign in only
 * after onboarding has created the record and then the user.
 */
const CREATED_AT_TOLERANCE_SECONDS = 1;

/**
 * Why the tenant's registry record refuses this user's token, if it does:
 * - the token was issued before the tenant was created. A tenant id is free again once its tenant
 *   is offboarded, and a sign-up may take it; the old tenant's tokens, still unexpired, must not
 *   reach the new one.
 * - the user's tokens up to a later second were revoked (`isRevoked`).
 * The authorizer and `tenantContext()` both ask, with the record they read anyway.
 *
 * @example
 * const refused = tokenRefusal(record, identity.userId, identity.issuedAt);
 * if (refused) throw new UnauthorizedError(refused);
 */
export function tokenRefusal(record: TenantRecord, userId: string, issuedAt: number | undefined): string | undefined {
  const createdAt = Math.floor(Date.parse(record.createdAt) / 1000);
  // A record that cannot say when its tenant was created cannot tell its tokens from an older tenant's.
  if (!Number.isFinite(createdAt)) return "tenant record has no creation time";
  if (issuedAt !== undefined && issuedAt < createdAt - CREATED_AT_TOLERANCE_SECONDS) {
    return "token issued before its tenant was created";
  }
  return isRevoked(record, userId, issuedAt) ? "token revoked" : undefined;
}

/** Revokes tokens of the users of one tenant. */
export interface TokenRevocations {
  /**
   * Refuses every token of the user issued up to now (to the second, so one issued in the same second
   * as the call is refused too). `known` is the tenant's record as last read: its entries that refuse
   * nothing more are removed right after, those older than any token the verifier accepts and the
   * user's own earlier ones, which the new entry covers. So the set holds about one entry per user
   * revoked within the last day, however often a user is changed (a few more for a while, as `known`
   * may be up to a minute old and other containers revoke too).
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

/** Stale entries one write removes at most, so that its request stays small. */
const MAX_PRUNED = 500;

/**
 * Entries that refuse nothing more once `added` is in the set: those older than any token the
 * verifier accepts, and the same user's earlier ones (the user's latest entry is the one that counts).
 */
function staleEntries(known: TenantRecord | undefined, nowSeconds: number, added: [string, number]): string[] {
  const cutoff = nowSeconds - MAX_TOKEN_AGE_SECONDS - 60;
  const [userId, latest] = added;
  const stale: string[] = [];
  for (const entry of known?.revokedTokens ?? []) {
    const revocation = parseEntry(entry);
    if (revocation && (revocation[1] < cutoff || (revocation[0] === userId && revocation[1] < latest))) {
      stale.push(entry);
    }
    if (stale.length === MAX_PRUNED) break;
  }
  return stale;
}

/**
 * Creates the writer of revocations. The record is written with the tenant's own credentials
 * (IAM lets them add to and remove from `revokedTokens` of that tenant's record and nothing else)
 * and always at the given tenant's key, never one a caller supplies.
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
    const entry = revocationEntry(userId, before);
    try {
      await client.send(change(options.tableName, tenantId, "ADD", [entry]));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new Error(`tenant ${tenantId} has no registry record to revoke its user's tokens in`);
      }
      throw error;
    }
    // A set entry names its second, so removing what was stale when read never removes a newer one.
    const stale = staleEntries(known, nowSeconds, [userId, before]);
    if (stale.length > 0) await client.send(change(options.tableName, tenantId, "DELETE", stale));
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

/** Adds entries to, or removes them from, the set of an existing record; nothing is returned. */
function change(tableName: string, tenantId: string, action: "ADD" | "DELETE", entries: string[]): UpdateCommand {
  return new UpdateCommand({
    TableName: tableName,
    Key: { tenantId },
    UpdateExpression: `${action} #revoked :entries`,
    ConditionExpression: "attribute_exists(tenantId)",
    ExpressionAttributeNames: { "#revoked": REVOKED_TOKENS_ATTRIBUTE },
    ExpressionAttributeValues: { ":entries": new Set(entries) },
  });
}
