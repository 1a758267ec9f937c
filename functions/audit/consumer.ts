/** The audit consumer: every Tenantkit event from the audit queue becomes one entry in its tenant's audit trail. */
import {
  createTenantEventConsumer,
  requireEnv,
  type SqsBatchHandler,
  type TenantEventConsumerOptions,
} from "@tenantkit/tenant-context";
import { createAuditStore } from "./audit-store.ts";
import { recordAuditEntry } from "./use-cases/record-audit-entry.ts";

/**
 * The SQS handler. The layer checks each message against the event contract and binds the data
 * client to the event's tenant; a duplicate delivery finds its entry there and changes nothing.
 */
export function createAuditConsumer(
  options: TenantEventConsumerOptions = { tables: { audit: requireEnv("AUDIT_TABLE") } },
): SqsBatchHandler {
  return createTenantEventConsumer(options, async (event, { data, logger }) => {
    const added = await recordAuditEntry(createAuditStore(data.table("audit")), event);
    logger.info(added ? "audit entry recorded" : "duplicate delivery: audit entry already there");
  });
}
