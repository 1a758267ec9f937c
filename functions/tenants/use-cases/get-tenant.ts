/** Use case: read one tenant's record (system admin). */
import { NotFoundError, type TenantRecord } from "@tenantkit/tenant-context";
import type { TenantRecords } from "../ports.ts";

/** 1. Read the record; none (or already offboarded): 404. */
export async function getTenant(records: TenantRecords, tenantId: string): Promise<TenantRecord> {
  const record = await records.get(tenantId);
  if (!record) throw new NotFoundError("tenant", tenantId);
  return record;
}
