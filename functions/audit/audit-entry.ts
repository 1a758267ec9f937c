/** An audit trail entry: one event that happened to the tenant, as the API returns it. */
import { z } from "@hono/zod-openapi";

export const AuditEntry = z
  .object({
    eventId: z.uuid(),
    /** the event name, e.g. `OrderPlaced`, `TenantTierChanged` */
    type: z.string(),
    /** the service that published it, e.g. `tenantkit.orders` */
    source: z.string(),
    occurredAt: z.iso.datetime(),
    correlationId: z.string(),
    /** the user whose request caused it (a token's `sub`); absent when none did (a sign-up, a job) */
    userId: z.string().optional(),
    data: z.record(z.string(), z.unknown()),
    /** when the audit trail took it in */
    recordedAt: z.iso.datetime(),
  })
  .openapi("AuditEntry");
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditPage = z
  .object({ items: z.array(AuditEntry), nextCursor: z.string().optional() })
  .openapi("AuditPage");
export type AuditPage = z.infer<typeof AuditPage>;
