/** The per-tenant daily request quota: an atomic counter per tenant and UTC day, in the tenant's own partition. */
import { ConditionFailedError, type TenantTable } from "./tenant-scoped-table.ts";

/** Counters are kept two days past their day, then DynamoDB's TTL removes them. */
const RETENTION_SECONDS = 2 * 24 * 3600;

export interface UsageToday {
  day: string;
  requests: number;
}

/** Seconds until the next UTC midnight, when every daily quota starts again. */
export function secondsUntilUtcMidnight(now = new Date()): number {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((midnight - now.getTime()) / 1000));
}

const dayOf = (now: Date) => now.toISOString().slice(0, 10);

/**
 * Thrown when a tenant has used up its quota for today.
 *
 * @example
 * try { await countRequest(usage, quota); } catch (error) {
 *   if (error instanceof QuotaExceededError) throw new TooManyRequestsError("Quota used up.", error.retryAfterSeconds);
 *   throw error;
 * }
 */
export class QuotaExceededError extends Error {
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super("daily quota exceeded");
    this.name = "QuotaExceededError";
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Counts one request against the tenant's quota for today, atomically: the increment happens
 * only while the count is below the quota, so concurrent requests can never overshoot it.
 *
 * @example
 * await countRequest(c.var.data.table(USAGE_TABLE_NAME), 10_000); // throws QuotaExceededError past 10,000
 */
export async function countRequest(usage: TenantTable, quota: number, now = new Date()): Promise<number> {
  try {
    const { requests } = await usage.update<{ requests: number }>(
      { day: dayOf(now) },
      {
        update: "ADD requests :one SET expiresAt = if_not_exists(expiresAt, :expiresAt)",
        condition: "attribute_not_exists(requests) OR requests < :quota",
        values: { ":one": 1, ":quota": quota, ":expiresAt": Math.floor(now.getTime() / 1000) + RETENTION_SECONDS },
      },
    );
    return requests;
  } catch (error) {
    if (error instanceof ConditionFailedError) throw new QuotaExceededError(secondsUntilUtcMidnight(now));
    throw error;
  }
}

/**
 * How many requests the tenant has made today (0 when none).
 *
 * @example
 * const { day, requests } = await usageToday(c.var.data.table(USAGE_TABLE_NAME)); // { day: "2026-05-01", requests: 42 }
 */
export async function usageToday(usage: TenantTable, now = new Date()): Promise<UsageToday> {
  const day = dayOf(now);
  const item = await usage.get<{ requests?: number }>({ day });
  return { day, requests: item?.requests ?? 0 };
}
