/** Use case: bring a new tenant to life (first cut of the onboarding saga; compensations included). */
import type { TenantRecord } from "@tenantkit/tenant-context";
import type { IdentityProvider, OnboardingRequest, TenantRecords } from "../ports.ts";

/**
 * 1. Write the tenant record as PENDING (fails if the id is taken; nothing else is done).
 * 2. Create the tenant's first admin in the identity provider, with the immutable tenant claim.
 * 3. Mark the tenant ACTIVE.
 * A failure after step 1 undoes the completed steps in reverse order, then rethrows.
 */
export async function onboardTenant(
  deps: { records: TenantRecords; identity: IdentityProvider },
  request: OnboardingRequest,
  now = new Date(),
): Promise<TenantRecord> {
  const timestamp = now.toISOString();
  const record: TenantRecord = {
    tenantId: request.tenantId,
    name: request.name,
    tier: request.tier,
    status: "PENDING",
    createdAt: timestamp,
    updatedAt: timestamp,
  };
  await deps.records.create(record);
  const compensations: (() => Promise<void>)[] = [() => deps.records.remove(request.tenantId)];
  try {
    await deps.identity.createUser({
      email: request.adminEmail,
      tenantId: request.tenantId,
      role: "tenant-admin",
      ...(request.adminPassword && { password: request.adminPassword }),
    });
    compensations.push(() => deps.identity.deleteUser(request.adminEmail));
    await deps.records.setStatus(request.tenantId, "ACTIVE", now);
    return { ...record, status: "ACTIVE" };
  } catch (error) {
    for (const undo of compensations.reverse()) await undo();
    throw error;
  }
}
