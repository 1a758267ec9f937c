/** Use cases: deactivate and reactivate a tenant (system admin). */
import { ConflictError, type TenantRecord } from "@tenantkit/tenant-context";
import type { LifecycleEvents, TenantRecords } from "../ports.ts";
import { getTenant } from "./get-tenant.ts";

/**
 * 1. Read the tenant (404 if none).
 * 2. Move it ACTIVE -> INACTIVE (deactivate) or INACTIVE -> ACTIVE (activate); from any other
 *    state: 409. The authorizer and services refuse an INACTIVE tenant's tokens (403) as soon as
 *    their short caches expire (within 60 s).
 * 3. Publish `TenantDeactivated` / `TenantActivated`.
 */
export async function setTenantStatus(
  deps: { records: TenantRecords; events?: LifecycleEvents },
  tenantId: string,
  target: "ACTIVE" | "INACTIVE",
  now = new Date(),
): Promise<TenantRecord> {
  const current = await getTenant(deps.records, tenantId);
  const from = target === "INACTIVE" ? "ACTIVE" : "INACTIVE";
  if (current.status === target) return current;
  if (!(await deps.records.transition(tenantId, [from], { status: target }, now))) {
    throw new ConflictError(`Tenant '${tenantId}' is ${current.status}; only an ${from} tenant can become ${target}.`);
  }
  await deps.events?.publish(tenantId, target === "INACTIVE" ? "TenantDeactivated" : "TenantActivated", {});
  return { ...current, status: target, updatedAt: now.toISOString() };
}
