/** Use case: take one event into the tenant's audit trail, once, however often it is delivered. */
import type { TenantEvent } from "@tenantkit/tenant-context";
import type { AuditStore } from "../audit-store.ts";

/**
 * 1. Turn the event into an entry: name, source, time, correlation id, who caused it (if a user did),
 *    data, and when it was recorded.
 * 2. Add it, unless the trail already has an entry for this event id (a duplicate delivery: nothing changes).
 * 3. Say whether it was new.
 */
export async function recordAuditEntry(store: AuditStore, event: TenantEvent, now = new Date()): Promise<boolean> {
  return store.record({
    eventId: event.eventId,
    type: event.type,
    source: event.source,
    occurredAt: event.occurredAt,
    correlationId: event.correlationId,
    ...(event.userId !== undefined && { userId: event.userId }),
    data: event.data,
    recordedAt: now.toISOString(),
  });
}
