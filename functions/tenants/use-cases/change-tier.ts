/** Use case: move a tenant to another tier, migrating its data between pooled and dedicated tables. */
import { ConflictError, logFailure, logger, SILO_TIER, type TenantRecord, type Tier } from "@tenantkit/tenant-context";
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

/** What a tier change streams while the tenant's data moves: its record as it changes. */
export interface TierChangeLine {
  type: "tenant";
  record: TenantRecord;
}

/** A tier change under way: the record now, and the lines of the data move running (none between pooled tiers). */
export interface StartedTierChange {
  record: TenantRecord;
  move?: AsyncGenerator<TierChangeLine>;
}

/**
 * 1. Read the tenant (404); the same tier is a no-op; only an ACTIVE tenant moves (409 otherwise).
 * 2. Between two pooled tiers: change the tier and publish `TenantTierChanged`, done.
 * 3. Between pooled and silo: mark MIGRATING (requests get a retryable 503), start the move, and
 *    hand back its lines: it takes longer than a buffered request may (its first wait alone is the
 *    registry's max age plus the admitted work's), so it is streamed.
 */
export async function startTierChange(
  deps: ChangeTierDeps,
  tenantId: string,
  tier: Tier,
  now = new Date(),
): Promise<StartedTierChange> {
  const current = await getTenant(deps.records, tenantId);
  if (current.tier === tier) return { record: current };
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
    await deps.events?.publish(tenantId, "TenantTierChanged", { from: current.tier, to: tier });
    return { record: { ...current, tier, updatedAt: now.toISOString() } };
  }
  if (!(await deps.records.transition(tenantId, ["ACTIVE"], { status: "MIGRATING" }, now))) {
    throw new ConflictError(`Tenant '${tenantId}' changed meanwhile.`);
  }
  const migrating: TenantRecord = { ...current, status: "MIGRATING", updatedAt: now.toISOString() };
  const moved = move(deps, current, tier, now);
  // Awaited by the lines below; until then, a failure is not an unhandled rejection.
  moved.catch(() => undefined);
  return { record: migrating, move: linesOf(migrating, moved) };
}

/** How often a move repeats the MIGRATING record: API Gateway ends a stream silent for 5 minutes. */
export const MOVE_HEARTBEAT_MS = 60_000;

/**
 * The record at once, again every `MOVE_HEARTBEAT_MS` while the move runs, then as the move left
 * it. The move does not depend on the lines being read: a reader that goes away (the stream's
 * cancel calls `return()`, which waits behind a pending read) ends them only once the move is
 * over, so the invocation lasts as long as the move; a failure nobody reads any more is logged.
 */
async function* linesOf(migrating: TenantRecord, moved: Promise<TenantRecord>): AsyncGenerator<TierChangeLine> {
  let over = false;
  try {
    yield { type: "tenant", record: migrating };
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const beat = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), MOVE_HEARTBEAT_MS);
      });
      const record = await Promise.race([moved, beat]).finally(() => clearTimeout(timer));
      if (record) {
        over = true;
        yield { type: "tenant", record };
        return;
      }
      yield { type: "tenant", record: migrating };
    }
  } catch (error) {
    over = true;
    throw error;
  } finally {
    if (!over) {
      await moved.catch((error: unknown) => logFailure(logger, "tier change failed after its client went away", error));
    }
  }
}

/**
 * Moves a MIGRATING tenant's data between pooled and dedicated tables: wait until no container can
 * act on the old record, create the dedicated tables if moving to silo, clear the destination (an
 * earlier move's failed cleanup), copy every item, compare counts, switch the record (tier,
 * tables, usage key) to ACTIVE, delete the old copy, publish `TenantTierChanged`. A failure before
 * the switch deletes the partial copy, restores the tenant as it was and is thrown.
 */
async function move(deps: ChangeTierDeps, current: TenantRecord, tier: Tier, now: Date): Promise<TenantRecord> {
  const { tenantId } = current;
  const wasSilo = current.tier === SILO_TIER;
  const toSilo = tier === SILO_TIER;
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
    try {
      if (key) await deps.usageKeys?.deleteKey(key.keyId);
      if (toSilo) await deps.siloTables.delete(deps.siloTables.namesFor(tenantId));
      else await deps.data.deleteAll(tenantId, to);
    } catch (undo) {
      // What is left of the copy is removed by a later move (it clears its destination first) or
      // by offboarding; the tenant must not stay MIGRATING for it.
      logFailure(logger, "a failed tier change could not remove its partial copy", undo, { tenant_id: tenantId });
    } finally {
      await deps.records.transition(tenantId, ["MIGRATING"], { status: "ACTIVE" }, now);
    }
    throw error;
  }
  // The switch is done: the old copy is unreachable now, so remove it.
  if (wasSilo) {
    await deps.siloTables.delete(from ?? {});
    if (current.usageKeyId) await deps.usageKeys?.deleteKey(current.usageKeyId);
  } else {
    await deps.data.deleteAll(tenantId, undefined);
  }
  await deps.events?.publish(tenantId, "TenantTierChanged", { from: current.tier, to: tier });
  const { usageKey: _key, usageKeyId: _keyId, tables: _tables, ...rest } = current;
  return {
    ...rest,
    tier,
    status: "ACTIVE",
    ...(to && { tables: to }),
    ...(key && { usageKey: key.value, usageKeyId: key.keyId }),
    updatedAt: now.toISOString(),
  };
}

/**
 * The whole tier change, move included, for callers that wait for it (tests, scripts): the
 * tenant on its new tier.
 *
 * @example
 * const record = await changeTier(controlPlane.tierChange, "acme", "enterprise");
 */
export async function changeTier(
  deps: ChangeTierDeps,
  tenantId: string,
  tier: Tier,
  now = new Date(),
): Promise<TenantRecord> {
  const started = await startTierChange(deps, tenantId, tier, now);
  let record = started.record;
  for await (const line of started.move ?? []) record = line.record;
  return record;
}
