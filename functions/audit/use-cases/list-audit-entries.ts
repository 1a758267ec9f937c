/** Use case: page through the caller's audit trail, newest first. */
import { decodeCursor, encodeCursor } from "@tenantkit/shared/cursor";
import { ValidationError } from "@tenantkit/tenant-context";
import type { AuditPage } from "../audit-entry.ts";
import { AUDIT_KEY_ATTRIBUTES, type AuditStore, ENTRY_PREFIX } from "../audit-store.ts";

/**
 * 1. Decode the cursor (a malformed one, or one that does not point at an entry, is a 400 naming `cursor`).
 * 2. Read one page of at most `limit` entries, newest first.
 * 3. Return them with the cursor of the next page, if there is one.
 */
export async function listAuditEntries(
  store: AuditStore,
  page: { limit: number; cursor?: string | undefined },
): Promise<AuditPage> {
  const startKey = decodeCursor(page.cursor, AUDIT_KEY_ATTRIBUTES);
  if (startKey && !String(startKey.entryKey).startsWith(ENTRY_PREFIX)) {
    throw new ValidationError([{ location: "query", field: "cursor", message: "is not a valid cursor" }]);
  }
  const { items, nextKey } = await store.page(page.limit, startKey);
  const nextCursor = encodeCursor(nextKey);
  return { items, ...(nextCursor && { nextCursor }) };
}
