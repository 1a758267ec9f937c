/** Use case: page through every tenant (system admin). */
import { decodeCursor, encodeCursor } from "@tenantkit/shared/cursor";
import type { TenantRecord } from "@tenantkit/tenant-context";
import type { TenantRecords } from "../ports.ts";

/**
 * 1. Decode the cursor (400 naming `cursor` if malformed).
 * 2. Read one page of tenants in id order from the registry's index.
 * 3. Return them with the next page's cursor.
 */
export async function listTenants(
  records: TenantRecords,
  page: { limit: number; cursor?: string | undefined },
): Promise<{ items: TenantRecord[]; nextCursor?: string }> {
  const { items, nextKey } = await records.list(page.limit, decodeCursor(page.cursor, ["tenantId"]));
  const nextCursor = encodeCursor(nextKey);
  return { items, ...(nextCursor && { nextCursor }) };
}
