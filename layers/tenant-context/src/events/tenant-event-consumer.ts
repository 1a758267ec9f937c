/** Consumes Tenantkit events from SQS (EventBridge → SQS → Lambda): contract checks, the event's tenant's data, partial batch failures. */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { requireEnv } from "../config.ts";
import { tenantDataCredentials } from "../data/tenant-credentials.ts";
import { createTenantDataSource, type TenantData, type TenantDataSource } from "../data/tenant-data.ts";
import { logFailure, logger } from "../observability/logger.ts";
import { MetricUnit, metrics, NO_TIER } from "../observability/metrics.ts";
import { createTenantRegistry, type TenantRegistry } from "../registry/tenant-registry.ts";
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
 * coming from the event, which only Tenantkit's own services publish. Records are processed in
 * parallel with Powertools Batch and failures are reported per message (`batchItemFailures`,
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
    try {
      // Silo tenants may have dedicated tables; a tenant that is gone (offboarded) has pooled ones.
      const record = await registry.get(event.tenantId);
      // A tenant already removed from the registry (its `TenantOffboarded`) has no tier any more.
      eventLogger.appendPersistentKeys({ tier: record?.tier ?? NO_TIER });
      await handle(event, { data: dataSource.forTenant(event.tenantId, record?.tables), logger: eventLogger });
    } catch (error) {
      logFailure(eventLogger, "event not processed; it will be delivered again", error, {
        message_id: record.messageId,
        receive_count: receiveCount,
      });
      throw error;
    }
  }

  return async function consumeTenantEvents(event, context) {
    logger.resetKeys();
    if (context) logger.addContext(context);
    try {
      const response = await processPartialResponse(event, handleRecord, processor, {
        ...(context && { context }),
        throwOnFullBatchFailure: false,
      });
      const failed = response.batchItemFailures.length;
      metrics.addMetric("EventsProcessed", MetricUnit.Count, event.Records.length - failed);
      metrics.addMetric("EventsFailed", MetricUnit.Count, failed);
      return response;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
