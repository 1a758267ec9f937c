/** Consumes Tenantkit events from SQS (EventBridge → SQS → Lambda): contract checks, the event's tenant's data, partial batch failures. */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { requireEnv } from "../config.ts";
import { tenantDataCredentials } from "../data/tenant-credentials.ts";
import { createTenantDataSource, type TenantData, type TenantDataSource } from "../data/tenant-data.ts";
import { logFailure, logger } from "../observability/logger.ts";
import { MetricUnit, metrics, NO_TIER } from "../observability/metrics.ts";
import { createTenantRegistry, type TenantRecord, type TenantRegistry } from "../registry/tenant-registry.ts";
import { MalformedEventError, readTenantEvent, type TenantEvent } from "./tenant-event.ts";

/**
 * What a handler gets with each event: the event's tenant's tables, and a logger whose lines carry the
 * event's tenant, its tier, the user whose request caused it and its correlation id.
 */
export interface TenantEventContext {
  data: TenantData;
  logger: Logger;
}

export type TenantEventHandler = (event: TenantEvent, context: TenantEventContext) => Promise<void>;

export interface TenantEventConsumerOptions {
  /** logical table name -> pooled table name, as for `tenantContext()` */
  tables?: Record<string, string>;
  /** overrides for tests; by default built from the environment at cold start */
  dataSource?: TenantDataSource;
  registry?: TenantRegistry;
}

export type SqsBatchHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/**
 * How long before its tenant's creation an event may say it occurred: the publishers' clocks and
 * the control plane's are all kept by Amazon Time Sync (as for tokens, `token-revocations.ts`).
 */
const CREATED_AT_TOLERANCE_MS = 1000;

/** An event that must wait until its tenant is ready: it fails its delivery, and comes again. */
class EventDeferredError extends Error {}

/**
 * Why an event is not for its tenant's data as the registry has it now, if it is not:
 * - `drop`: the tenant is gone or leaving (its data is deleted, or being deleted), or the event is
 *   older than the tenant. An offboarded tenant's id is free again: a late event of the old tenant
 *   (its own `TenantOffboarded`, one still in the queue, an outbox record swept up late) must not
 *   land in the data of a new tenant that took the id.
 * - `defer`: the tenant is being onboarded, or its data is moving between pooled and dedicated
 *   tables; what the handler wrote now would be left behind.
 */
export function eventRefusal(
  record: TenantRecord | undefined,
  event: Pick<TenantEvent, "occurredAt">,
): { drop: string } | { defer: string } | undefined {
  if (!record) return { drop: "its tenant is not in the registry" };
  if (record.status === "OFFBOARDING") return { drop: "its tenant is being offboarded" };
  const createdAt = Date.parse(record.createdAt);
  if (!Number.isFinite(createdAt)) return { drop: "its tenant's record has no creation time" };
  if (Date.parse(event.occurredAt) < createdAt - CREATED_AT_TOLERANCE_MS) {
    return { drop: "it occurred before its tenant was created" };
  }
  if (record.status === "PENDING" || record.status === "MIGRATING") return { defer: `its tenant is ${record.status}` };
  return undefined;
}

function parseBody(record: SQSRecord): TenantEvent {
  let envelope: unknown;
  try {
    envelope = JSON.parse(record.body);
  } catch {
    throw new MalformedEventError("body is not JSON");
  }
  return readTenantEvent(envelope);
}

/**
 * Creates the Lambda handler of an SQS event source that carries Tenantkit events. Each message
 * is checked against the event contract; `handle` then runs with a data client bound to the
 * event's tenant (STS session tagged with that tenant, key checks in process), the tenant id
 * coming from the event, which only Tenantkit's own services publish. An event whose tenant is
 * gone or leaving, or older than its tenant, is dropped (logged, counted as `EventsDropped`); one
 * whose tenant is being onboarded or migrated fails its delivery, to come again (`eventRefusal`).
 * Records are processed in parallel with Powertools Batch and failures are reported per message (`batchItemFailures`,
 * the event source needs `FunctionResponseTypes: [ReportBatchItemFailures]`), so only failed
 * messages return to the queue; a message that never succeeds ends in the dead-letter queue
 * after the queue's `maxReceiveCount`. `handle` must be idempotent per `event.eventId`:
 * delivery is at least once.
 *
 * @example
 * export const handler = createTenantEventConsumer({ tables: { audit: requireEnv("AUDIT_TABLE") } },
 *   async (event, { data }) => { await data.table("audit").put({ entryKey: event.eventId, type: event.type }); });
 */
export function createTenantEventConsumer(
  options: TenantEventConsumerOptions,
  handle: TenantEventHandler,
): SqsBatchHandler {
  const dataSource =
    options.dataSource ??
    createTenantDataSource({
      tables: options.tables ?? {},
      credentials: tenantDataCredentials(requireEnv("TENANT_DATA_ROLE_ARN")),
    });
  const registry = options.registry ?? createTenantRegistry({ tableName: requireEnv("TENANTS_TABLE") });
  const processor = new BatchProcessor(EventType.SQS);
  let dropped = 0;

  async function handleRecord(record: SQSRecord): Promise<void> {
    const receiveCount = record.attributes?.ApproximateReceiveCount;
    let event: TenantEvent;
    try {
      event = parseBody(record);
    } catch (error) {
      logger.error("message is not a Tenantkit event; it goes to the dead-letter queue after its last receive", {
        message_id: record.messageId,
        receive_count: receiveCount,
        error: error as Error,
      });
      throw error;
    }
    // The keys of a request's lines: the user whose request caused the event, if one did.
    const eventLogger = logger.createChild({
      persistentKeys: {
        tenant_id: event.tenantId,
        correlation_id: event.correlationId,
        ...(event.userId !== undefined && { user_id: event.userId }),
        event_id: event.eventId,
        event_type: event.type,
      },
    });
    const messageKeys = { message_id: record.messageId, receive_count: receiveCount };
    try {
      let tenant = await registry.get(event.tenantId);
      let refusal = eventRefusal(tenant, event);
      // A drop is for good: it rests on the record as it is, not on a copy cached before a new
      // tenant took the id (the old one's own `TenantOffboarded` caches it as missing).
      if (refusal && "drop" in refusal) {
        tenant = await registry.get(event.tenantId, { fresh: true });
        refusal = eventRefusal(tenant, event);
      }
      // A tenant already removed from the registry (its `TenantOffboarded`) has no tier any more.
      eventLogger.appendPersistentKeys({ tier: tenant?.tier ?? NO_TIER });
      if (refusal && "defer" in refusal) throw new EventDeferredError(refusal.defer);
      if (refusal) {
        dropped += 1;
        eventLogger.info("event dropped", { ...messageKeys, reason: refusal.drop });
        return;
      }
      // Silo tenants have dedicated tables, named in their record.
      await handle(event, { data: dataSource.forTenant(event.tenantId, tenant?.tables), logger: eventLogger });
    } catch (error) {
      if (error instanceof EventDeferredError) {
        eventLogger.info("event deferred; it will be delivered again", { ...messageKeys, reason: error.message });
      } else {
        logFailure(eventLogger, "event not processed; it will be delivered again", error, messageKeys);
      }
      throw error;
    }
  }

  return async function consumeTenantEvents(event, context) {
    logger.resetKeys();
    if (context) logger.addContext(context);
    dropped = 0;
    try {
      const response = await processPartialResponse(event, handleRecord, processor, {
        ...(context && { context }),
        throwOnFullBatchFailure: false,
      });
      const failed = response.batchItemFailures.length;
      metrics.addMetric("EventsProcessed", MetricUnit.Count, event.Records.length - failed - dropped);
      metrics.addMetric("EventsFailed", MetricUnit.Count, failed);
      metrics.addMetric("EventsDropped", MetricUnit.Count, dropped);
      return response;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
