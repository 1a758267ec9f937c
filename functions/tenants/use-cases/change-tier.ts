/** Use case: move a tenant to another tier, migrating its data between pooled and dedicated tables. */
import { ConflictError, SILO_TIER, type TenantRecord, type Tier } from "@tenantkit/tenant-context";
import type { LifecycleEvents, SiloTables, TenantDataAdmin, TenantRecords, UsageKeys } from "../ports.ts";
import { getTenant } from "./get-tenant.ts";

export interface ChangeTierDeps {
  records: TenantRecords;
  data: TenantDataAdmin;
  siloTables: SiloTables;
  usageKeys?: UsageKeys;
  events?: LifecycleEvents;
  /**
   * How long every container may still act on a cached registry record, and finish what it
   * admitted with it: after marking the tenant MIGRATING the move waits this long, so no request
   * still writes to the old tables.
   */
  settle: () => Promise<void>;
}

/** The copy did not match the source; the move was undone. */
export class MigrationMismatchError extends Error {}

/**
 * 1. Read the tenant (404); the same tier is a no-op; only an ACTIVE tenant moves (409 otherwise).
 * 2. Between two pooled tiers: change the tier, done.
 * 3. Between pooled and silo: mark MIGRATING (requests get a retryable 503), wait until no
 *    container can act on the old record, create the dedicated tables if moving to silo, clear
 *    the destination (an earlier move's failed cleanup), copy every item, compare counts, switch the record (tier, tables, usage key) to ACTIVE, then
 *    delete the old copy. A failure before the switch deletes the partial copy and restores the
 *    tenant as it was.
 * 4. Publish `TenantTierChanged`.
 */
export async function changeTier(
  deps: ChangeTierDeps,
  tenantId: string,
  tier: Tier,
  now = new Date(),
): Promise<TenantRecord> {
  const current = await getTenant(deps.records, tenantId);
  if (current.tier === tier) return current;
  if (current.status !== "ACTIVE")
    throw new ConflictError(`Tenant '${tenantId}' is ${current.status}; only an ACTIVE tenant can change tier.`);
  const wasSilo = current.tier === SILO_TIER;
  const toSilo = tier === SILO_TIER;
  // A silo record that names no dedicated tables cannot say where the data is to move from.
  if (wasSilo && !toSilo && !current.tables) {
    throw new ConflictError(`Tenant '${tenantId}' is ${current.tier} but its record names no dedicated tables.`);
  }

  if (wasSilo === toSilo) {
    if (!(await deps.records.transition(tenantId, ["ACTIVE"], { tier }, now)))
      throw new ConflictError(`Tenant '${tenantId}' changed meanwhile.`);
  } else {
    if (!(await deps.records.transition(tenantId, ["ACTIVE"], { status: "MIGRATING" }, now))) {
      throw new ConflictError(`Tenant '${tenantId}' changed meanwhile.`);
    }
    const from = current.tables;
    let to: Record<string, string> | undefined;
    let key: { keyId: string; value: string } | undefined;
    try {
      await deps.settle();
      to = toSilo ? await deps.siloTables.create(tenantId) : undefined;
      // The destination may hold what an earlier move failed to remove after its switch: cleared
      // first, so that nothing stale joins the tenant's data (and the counts below compare).
      await deps.data.deleteAll(tenantId, to);
      const copied = await deps.data.copy(tenantId, from, to);
      const source = await deps.data.count(tenantId, from);
      const target = await deps.data.count(tenantId, to);
      if (JSON.stringify(source) !== JSON.stringify(copied) || JSON.stringify(target) !== JSON.stringify(source)) {
        throw new MigrationMismatchError(
          `copy of ${tenantId} does not match: source ${JSON.stringify(source)}, target ${JSON.stringify(target)}`,
        );
      }
      if (toSilo && deps.usageKeys) key = await deps.usageKeys.createDedicatedKey(tenantId);
      await deps.records.transition(
        tenantId,
        ["MIGRATING"],
        { status: "ACTIVE", tier, tables: to, usageKey: key?.value, usageKeyId: key?.keyId },
        now,
      );
    } catch (error) {
      if (key) await deps.usageKeys?.deleteKey(key.keyId);
      if (toSilo) await deps.siloTables.delete(deps.siloTables.namesFor(tenantId));
      else await deps.data.deleteAll(tenantId, to);
      await deps.records.transition(tenantId, ["MIGRATING"], { status: "ACTIVE" }, now);
      throw error;
    }
    // The switch is done: the old copy is unreachable now, so remove it.
    if (wasSilo) {
      await deps.siloTables.delete(from ?? {});
      if (current.usageKeyId) await deps.usageKeys?.deleteKey(current.usageKeyId);
    } else {
      await deps.data.deleteAll(tenantId, undefined);
    }
  }
  await deps.events?.publish(tenantId, "TenantTierChanged", { from: current.tier, to: tier });
  return { ...current, tier, status: "ACTIVE", updatedAt: now.toISOString() };
}
