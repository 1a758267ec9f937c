/** The shape of the tier configuration (`/<stage>/config/tiers`), built in template.yaml from its TierLimits mapping. */
import type { AppConfig } from "../config/app-config.ts";
import type { TenantRecord, Tier } from "./tenant-registry.ts";

export interface TierSettings {
  rateLimit: number;
  burstLimit: number;
  /** requests one tenant of the tier may make per UTC day */
  tenantDailyQuota: number;
  /** the tier's usage-plan API key value, returned by the authorizer as usageIdentifierKey */
  usageKey: string;
  /** the tier's usage plan, which its tenants' own keys join (enterprise) */
  usagePlanId?: string;
  features: Record<string, boolean>;
}

export type TierConfig = Record<Tier, TierSettings>;

/** Tier configuration changes rarely: cache it for a minute rather than Powertools' default 5 s. */
export const TIER_CONFIG_MAX_AGE_SECONDS = 60;

/**
 * Reads the settings of one tier; a tier missing from the configuration is a deployment defect.
 *
 * @example
 * const { tenantDailyQuota, features } = await tierSettings(c.var.config, c.var.tenant.tier);
 */
export async function tierSettings(config: AppConfig, tier: Tier): Promise<TierSettings> {
  const tiers = await config.getJson<TierConfig>("tiers", TIER_CONFIG_MAX_AGE_SECONDS);
  const settings = tiers[tier];
  if (!settings) throw new Error(`tier '${tier}' is missing from the tier configuration`);
  return settings;
}

/**
 * A tenant's daily request quota: its record's own, else its tier's. From the record, never from
 * an authorizer's context (API Gateway may serve a decision cached before a tier change).
 *
 * @example
 * const quota = await tenantDailyQuota(c.var.config, record); // e.g. 10000
 */
export async function tenantDailyQuota(
  config: AppConfig,
  record: Pick<TenantRecord, "tier" | "dailyQuota">,
): Promise<number> {
  return record.dailyQuota ?? (await tierSettings(config, record.tier)).tenantDailyQuota;
}
