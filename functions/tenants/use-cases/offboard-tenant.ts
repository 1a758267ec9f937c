/** Use case: offboard a tenant: stream out all of its data, then delete data, users, secrets, keys and record. */

import type { IdentityProvider } from "@tenantkit/shared/identity-provider";
import { ConflictError, NotFoundError, type TenantRecord, type TenantStatus } from "@tenantkit/tenant-context";
import type {
  LifecycleEvents,
  SiloTables,
  TenantDataAdmin,
  TenantRecords,
  TenantSecretsAdmin,
  UsageKeys,
} from "../ports.ts";
import { getTenant } from "./get-tenant.ts";

export interface OffboardingDeps {
  records: TenantRecords;
  data: TenantDataAdmin;
  /**
   * what the layer keeps for the tenant besides its data (the stored answers of idempotent
   * requests): deleted with it, not exported; a tenant that takes the id later must not meet them
   */
  bookkeeping?: TenantDataAdmin;
  identity: IdentityProvider;
  secrets: TenantSecretsAdmin;
  siloTables: SiloTables;
  usageKeys?: UsageKeys;
  events?: LifecycleEvents;
  /** the tenant's user directory: each user's id (to delete them in Cognito) */
  users(tenantId: string): AsyncGenerator<{ userId: string }>;
  /**
   * Waits until no container trusts a copy of the record from before it said OFFBOARDING (the
   * registry's max age), and what they admitted with it has ended. Until then the tenant's requests
   * and events may still write, and what they wrote after the deletes would outlive the tenant, for
   * a tenant that takes the id.
   */
  settle?: () => Promise<void>;
}

/** One line of the offboarding stream. */
export type ExportLine =
  | { type: "tenant"; record: TenantRecord }
  | { type: "item"; table: string; item: Record<string, unknown> }
  | { type: "deleted"; tenantId: string; items: number };

/**
 * 1. Read the tenant (404 if none, so a second call is 404); mark it OFFBOARDING (its tokens are
 *    refused from then on). An offboarding that stopped half way can be run again.
 */
export async function startOffboarding(
  records: TenantRecords,
  tenantId: string,
  now = new Date(),
): Promise<TenantRecord> {
  const record = await getTenant(records, tenantId);
  // PENDING too: what an onboarding could not undo is removed this way.
  const from: TenantStatus[] = ["PENDING", "ACTIVE", "INACTIVE", "OFFBOARDING"];
  if (!(await records.transition(tenantId, from, { status: "OFFBOARDING" }, now))) {
    throw new ConflictError(`Tenant '${tenantId}' is ${record.status} and cannot be offboarded now.`);
  }
  return { ...record, status: "OFFBOARDING" };
}

/**
 * 2. Stream the record; wait until no container admits the tenant any more (`settle`); stream every
 *    item of every data table (the export comes before any delete, and after the last write).
 * 3. Delete the users (Cognito: by id, the tenant's own only), the items, the layer's bookkeeping
 *    (idempotency records), the secrets, the dedicated key and tables, the record.
 * 4. Publish `TenantOffboarded` and end the stream with a `deleted` line.
 */
export async function* exportAndDeleteTenant(deps: OffboardingDeps, record: TenantRecord): AsyncGenerator<ExportLine> {
  const { tenantId, tables } = record;
  // Its revoked tokens are the layer's bookkeeping, of no use to the tenant once it is gone.
  const { revokedTokens: _revokedTokens, ...exported } = record;
  yield { type: "tenant", record: exported };
  // A client that goes away meanwhile stops the export at its next line, before any delete.
  await deps.settle?.();
  let items = 0;
  for (const table of deps.data.tableNames) {
    for await (const item of deps.data.items(tenantId, table, tables)) {
      items += 1;
      yield { type: "item", table, item };
    }
  }
  // Users first: the directory that names them is among the data, and a run stopped after
  // deleting it could not find them again. By id, and only the tenant's own: a user may have
  // changed its email since, and the old address may belong to another tenant's user now.
  for await (const user of deps.users(tenantId)) {
    await deps.identity.changeTenantUser(tenantId, user.userId, "delete").catch((error: unknown) => {
      if (!(error instanceof NotFoundError)) throw error;
    });
  }
  await deps.data.deleteAll(tenantId, tables);
  // Also where a tier change may have left a copy it failed to remove: the pooled tables of a
  // silo tenant, and (below) the dedicated tables a pooled tenant's name would have.
  if (tables) await deps.data.deleteAll(tenantId, undefined);
  await deps.bookkeeping?.deleteAll(tenantId, undefined);
  await deps.secrets.deleteAll(tenantId);
  if (record.usageKeyId) await deps.usageKeys?.deleteKey(record.usageKeyId);
  await deps.siloTables.delete(tables ?? deps.siloTables.namesFor(tenantId));
  if (!(await deps.records.remove(tenantId, "OFFBOARDING"))) {
    throw new ConflictError(`Tenant '${tenantId}' left OFFBOARDING during its offboarding.`);
  }
  await deps.events?.publish(tenantId, "TenantOffboarded", { items });
  yield { type: "deleted", tenantId, items };
}
