/** Use case: the caller's whole audit trail, one page at a time, for a streamed export. */
import { everyItem } from "@tenantkit/shared/paging";
import type { AuditEntry } from "../audit-entry.ts";
import type { AuditStore } from "../audit-store.ts";

/** Entries read per DynamoDB query while exporting; memory stays bounded by one page. */
export const EXPORT_PAGE_SIZE = 500;

/**
 * 1. Read the trail page by page, newest first.
 * 2. Yield each entry as soon as its page arrives, so the first lines go out early.
 */
export function exportAuditEntries(store: AuditStore): AsyncGenerator<AuditEntry> {
  return everyItem((startKey) => store.page(EXPORT_PAGE_SIZE, startKey));
}
