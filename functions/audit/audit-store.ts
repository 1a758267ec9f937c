/** Where the audit trail lives: the tenant's view of the audit table (DynamoDB adapter behind an interface). */
import { ConditionFailedError, type TenantTable } from "@tenantkit/tenant-context";
import type { AuditEntry } from "./audit-entry.ts";

export interface AuditStore {
  /** adds the entry unless one for its event id exists; false when it did (a duplicate delivery) */
  record(entry: AuditEntry): Promise<boolean>;
  /** newest first */
  page(
    limit: number,
    startKey?: Record<string, unknown>,
  ): Promise<{ items: AuditEntry[]; nextKey?: Record<string, unknown> }>;
}

/** The sort key of the table: `event#<eventId>` guards uniqueness, `entry#<occurredAt>#<eventId>` orders the trail. */
export const AUDIT_KEY_ATTRIBUTES = ["entryKey"] as const;
export const ENTRY_PREFIX = "entry#";
const MARKER_PREFIX = "event#";

interface EntryItem extends AuditEntry {
  entryKey: string;
  [attribute: string]: unknown;
}

const toEntry = ({ entryKey: _key, ...entry }: EntryItem): AuditEntry => entry;

export function createAuditStore(table: TenantTable): AuditStore {
  return {
    async record(entry) {
      const unique = { condition: "attribute_not_exists(entryKey)" };
      try {
        // Both or neither: the marker makes a second delivery of the same event fail as a whole.
        await table.transactWrite([
          {
            table,
            put: { entryKey: `${MARKER_PREFIX}${entry.eventId}`, recordedAt: entry.recordedAt },
            options: unique,
          },
          {
            table,
            put: { entryKey: `${ENTRY_PREFIX}${entry.occurredAt}#${entry.eventId}`, ...entry },
            options: unique,
          },
        ]);
        return true;
      } catch (error) {
        if (error instanceof ConditionFailedError) return false;
        throw error;
      }
    },

    async page(limit, startKey) {
      const { items, nextKey } = await table.query<EntryItem>({
        sortKeyCondition: "begins_with(entryKey, :entries)",
        values: { ":entries": ENTRY_PREFIX },
        newestFirst: true,
        limit,
        ...(startKey && { startKey }),
      });
      return { items: items.map(toEntry), ...(nextKey && { nextKey }) };
    },
  };
}
