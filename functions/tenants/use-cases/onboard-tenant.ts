/** Use case: bring a new tenant to life, as a saga in which every step has a compensation. */

import { EmailTakenError, type IdentityProvider } from "@tenantkit/shared/identity-provider";
import { logger, NotFoundError, type TenantRecord } from "@tenantkit/tenant-context";
import type {
  LifecycleEvents,
  OnboardingRequest,
  SiloTables,
  TenantRecords,
  TenantSecretsAdmin,
  UsageKeys,
} from "../ports.ts";

/** The saga's steps, in order; each may be made to fail by configuration (`failAt`) in tests. */
export const ONBOARDING_STEPS = [
  "createRecord",
  "createAdminUser",
  "associateUsageKey",
  "createSecrets",
  "createDedicatedTables",
  "activate",
] as const;
export type OnboardingStep = (typeof ONBOARDING_STEPS)[number];

/** The error a configured fault raises (see `failAt`). */
export class InjectedFaultError extends Error {
  constructor(step: OnboardingStep) {
    super(`fault injected at onboarding step '${step}'`);
    this.name = "InjectedFaultError";
  }
}

export interface OnboardingDeps {
  records: TenantRecords;
  identity: IdentityProvider;
  usageKeys?: UsageKeys;
  secrets?: TenantSecretsAdmin;
  siloTables?: SiloTables;
  events?: LifecycleEvents;
  /** the tenant's user directory (the users service reads it); the admin is its first entry */
  directory?: {
    addUser(tenantId: string, user: { userId: string; email: string }): Promise<void>;
    removeUser(tenantId: string, userId: string): Promise<void>;
  };
  /** the step to fail at, from configuration; never set in production */
  failAt?: OnboardingStep | undefined;
}

/** How often an undo is tried, a second apart: its dependency may be failing as the step's was. */
const UNDO_ATTEMPTS = 3;

/**
 * Runs every undo, newest first; one failing does not stop the others (they undo other steps).
 * Each that still fails after its tries is logged at once, for an operator. Returns whether all
 * of them succeeded.
 */
async function undoAll(undos: (() => Promise<void>)[], tenantId: string): Promise<boolean> {
  let clean = true;
  for (const undo of undos) {
    for (let attempt = 1; ; attempt++) {
      try {
        await undo();
        break;
      } catch (failure) {
        if (attempt < UNDO_ATTEMPTS) {
          await new Promise((resolve) => setTimeout(resolve, 1000));
          continue;
        }
        clean = false;
        logger.error("onboarding could not undo a step; offboard the tenant to remove what is left", {
          tenant_id: tenantId,
          error: failure as Error,
        });
        break;
      }
    }
  }
  return clean;
}

/**
 * 1. Refuse a taken admin email before anything is written (409, nothing created).
 * 2. Write the tenant record as PENDING (a taken tenant id is a 409).
 * 3. Create the first admin in Cognito with the immutable tenant claim, in tenant-admin.
 * 4. Enterprise: create a dedicated usage-plan key; other tiers use their tier's key.
 * 5. Create the tenant's initial secrets.
 * 6. Enterprise: create dedicated (silo) tables.
 * 7. Mark the tenant ACTIVE (with its tables and key), then publish `TenantOnboarded`.
 * A failure in steps 3-7 runs the compensations of the completed steps in reverse order, so
 * afterwards the tenant is fully ACTIVE or nothing of it remains; then the error is rethrown. If
 * one cannot be undone, the PENDING record stays, for the operator to offboard the tenant (which
 * removes what is left); the record is removed only while it is still PENDING, never a record a
 * later run has made.
 */
export async function onboardTenant(
  deps: OnboardingDeps,
  request: OnboardingRequest,
  now = new Date(),
): Promise<TenantRecord> {
  if (await deps.identity.userExists(request.adminEmail)) throw new EmailTakenError(request.adminEmail);
  const timestamp = now.toISOString();
  const record: TenantRecord = {
    tenantId: request.tenantId,
    name: request.name,
    tier: request.tier,
    status: "PENDING",
    createdAt: timestamp,
    updatedAt: timestamp,
  };
  const silo = request.tier === "enterprise";
  const compensations: (() => Promise<void>)[] = [];
  const step = async (name: OnboardingStep, run: () => Promise<void>) => {
    if (deps.failAt === name) throw new InjectedFaultError(name);
    await run();
  };

  await step("createRecord", () => deps.records.create(record));
  try {
    await step("createAdminUser", async () => {
      const userId = await deps.identity.createUser({
        email: request.adminEmail,
        tenantId: request.tenantId,
        role: "tenant-admin",
        ...(request.adminPassword && { password: request.adminPassword }),
      });
      compensations.push(async () => {
        await deps.identity.changeTenantUser(request.tenantId, userId, "delete").catch((error: unknown) => {
          if (!(error instanceof NotFoundError)) throw error;
        });
      });
      const directory = deps.directory;
      if (directory) {
        compensations.push(() => directory.removeUser(request.tenantId, userId));
        await directory.addUser(request.tenantId, { userId, email: request.adminEmail });
      }
    });
    await step("associateUsageKey", async () => {
      if (!silo || !deps.usageKeys) return;
      const keys = deps.usageKeys;
      const key = await keys.createDedicatedKey(request.tenantId);
      compensations.push(() => keys.deleteKey(key.keyId));
      record.usageKey = key.value;
      record.usageKeyId = key.keyId;
    });
    await step("createSecrets", async () => {
      if (!deps.secrets) return;
      const secrets = deps.secrets;
      compensations.push(() => secrets.deleteAll(request.tenantId));
      await secrets.createInitialSecrets(request.tenantId);
    });
    await step("createDedicatedTables", async () => {
      if (!silo || !deps.siloTables) return;
      const siloTables = deps.siloTables;
      compensations.push(() => siloTables.delete(siloTables.namesFor(request.tenantId)));
      record.tables = await siloTables.create(request.tenantId);
    });
    await step("activate", async () => {
      const activated = await deps.records.transition(
        request.tenantId,
        ["PENDING"],
        { status: "ACTIVE", tables: record.tables, usageKey: record.usageKey, usageKeyId: record.usageKeyId },
        now,
      );
      if (!activated) throw new Error(`tenant ${request.tenantId} left PENDING during onboarding`);
    });
  } catch (error) {
    // The record goes last, and only if all else is undone: it is what lets an operator offboard
    // what is left.
    if (await undoAll(compensations.reverse(), request.tenantId)) {
      await undoAll(
        [
          async () => {
            await deps.records.remove(request.tenantId, "PENDING");
          },
        ],
        request.tenantId,
      );
    }
    throw error;
  }
  const active: TenantRecord = { ...record, status: "ACTIVE" };
  await deps.events?.publish(request.tenantId, "TenantOnboarded", { name: active.name, tier: active.tier });
  return active;
}
