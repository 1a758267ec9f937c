/** Use case: a tenant admin's view of their own tenant: tier, status, today's usage against the quota. */
import type { TenantRecord } from "@tenantkit/tenant-context";

export interface OwnTenant {
  tenantId: string;
  name: string;
  tier: TenantRecord["tier"];
  status: TenantRecord["status"];
  usage: { day: string; requests: number; dailyQuota: number };
}

/**
 * 1. Read the caller's tenant record (the caller's tenant exists: the layer checked it).
 * 2. Read today's request count and the tenant's daily quota.
 */
export async function getOwnTenant(deps: {
  record: TenantRecord;
  usageToday: () => Promise<{ day: string; requests: number }>;
  dailyQuota: () => Promise<number>;
}): Promise<OwnTenant> {
  const { tenantId, name, tier, status } = deps.record;
  const [usage, dailyQuota] = await Promise.all([deps.usageToday(), deps.dailyQuota()]);
  return { tenantId, name, tier, status, usage: { ...usage, dailyQuota } };
}
