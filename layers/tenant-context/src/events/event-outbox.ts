/** The transactional outbox: events written with the business change, published after it, swept up if publishing failed. */
import { createHash } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, DynamoDBDocumentClient, paginateQuery } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { requireEnv } from "../config.ts";
import type { TenantTable, TransactionWrite } from "../data/tenant-scoped-table.ts";
import { TenantIsolationError } from "../http/errors.ts";
import { logFailure, logger } from "../observability/logger.ts";
import { MetricUnit, metrics } from "../observability/metrics.ts";
import {
  createEventSender,
  type EventEntry,
  EventPublishError,
  type EventSender,
  type PreparedEvent,
} from "./event-publisher.ts";

/** The outbox table's index of records waiting to be published, oldest first (template.yaml declares it). */
export const OUTBOX_INDEX = "pendingByAge";

/** The index's partition key spreads records over this many values, so no single key gets hot. */
export const OUTBOX_SHARDS = 8;

/** A record of the outbox table (partition key `tenantId`, sort key `eventId`). */
export interface OutboxRecord {
  tenantId: string;
  eventId: string;
  /** the `PutEvents` entry, exactly as it will be sent */
  entry: EventEntry;
  /** when the record was written; the sweeper takes only records older than its threshold */
  createdAt: string;
  /** partition key of `OUTBOX_INDEX`: "0" to OUTBOX_SHARDS - 1 */
  shard: string;
}

function shardOf(eventId: string): string {
  return String(createHash("sha256").update(eventId).digest().readUInt8(0) % OUTBOX_SHARDS);
}

/**
 * The outbox item for a prepared event, without the tenant key (the tenant-scoped table adds it).
 *
 * @example
 * const prepared = publisher.prepare({ tenantId: "acme", type: "OrderPlaced", data: { orderId } });
 * await c.var.data.table("outbox").put(outboxItem(prepared));
 */
export function outboxItem(prepared: PreparedEvent<object>, now = new Date()): Omit<OutboxRecord, "tenantId"> {
  const { eventId } = prepared.detail;
  return { eventId, entry: prepared.entry, createdAt: now.toISOString(), shard: shardOf(eventId) };
}

/**
 * An event staged in the outbox: commit `write` in the same transaction as the change it
 * describes, then call `publish()`. If publishing fails, the record stays and the sweeper
 * publishes it later; either way the event is delivered at least once.
 */
export interface StagedEvent<T extends object = Record<string, unknown>> {
  readonly eventId: string;
  readonly detail: PreparedEvent<T>["detail"];
  /** the outbox record's put, for the business transaction */
  readonly write: TransactionWrite;
  /** publishes (with retries) and removes the outbox record; false when it is left to the sweeper. Never throws. */
  publish(): Promise<boolean>;
}

/**
 * Stages a prepared event in a tenant's outbox table (used by `c.var.events.stage`).
 *
 * @example
 * const prepared = publisher.prepare({ tenantId, correlationId, type: "OrderPlaced", data });
 * const staged = stageEvent(prepared, outbox, publisher);
 * await orders.transactWrite([{ table: orders, put: order }, staged.write]);
 * await staged.publish();
 */
export function stageEvent<T extends object>(
  prepared: PreparedEvent<T>,
  outbox: TenantTable,
  sender: EventSender,
): StagedEvent<T> {
  const item = outboxItem(prepared);
  const { eventId } = item;
  return {
    eventId,
    detail: prepared.detail,
    write: { table: outbox, put: { ...item }, options: { condition: "attribute_not_exists(eventId)" } },
    async publish() {
      try {
        await sender.send([prepared.entry]);
      } catch (error) {
        logger.warn("event not published; the outbox sweeper will publish it", {
          event_id: eventId,
          event_type: prepared.entry.DetailType,
          error: error as Error,
        });
        metrics.addMetric("EventsLeftToSweeper", MetricUnit.Count, 1);
        return false;
      }
      try {
        await outbox.delete({ eventId });
      } catch (error) {
        // Harmless: the sweeper publishes it again and consumers deduplicate on the event id.
        logger.warn("published event's outbox record not removed", { event_id: eventId, error: error as Error });
      }
      return true;
    },
  };
}

export interface OutboxSweeperOptions {
  tableName: string;
  sender: EventSender;
  /** only records at least this old are taken, so requests still publishing their own are left alone (default 60) */
  olderThanSeconds?: number;
  client?: DynamoDBDocumentClient;
  indexName?: string;
}

export interface SweepResult {
  /** records published and removed */
  published: number;
  /** records that could not be published this time (they stay for the next sweep) */
  failed: number;
}

/** Publishes what requests left in the outbox. */
export interface OutboxSweeper {
  sweep(now?: Date): Promise<SweepResult>;
}

/**
 * Creates the sweeper a scheduled function runs. It reads the outbox index across tenants (it is
 * plumbing: it never reads business data, only the entries to send), publishes each old record's
 * entry unchanged (same event id, time and correlation id) and removes the records it published.
 *
 * @example
 * const sweeper = createOutboxSweeper({ tableName: requireEnv("OUTBOX_TABLE"), sender: createEventSender() });
 * export const handler = async () => sweeper.sweep();
 */
export function createOutboxSweeper(options: OutboxSweeperOptions): OutboxSweeper {
  const client =
    options.client ??
    DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  const indexName = options.indexName ?? OUTBOX_INDEX;
  const olderThanMs = (options.olderThanSeconds ?? 60) * 1000;

  async function publishAndRemove(all: OutboxRecord[]): Promise<SweepResult> {
    // The layer writes a tenant's events into its own partition only; a record that speaks for
    // another tenant was written around it. It is never sent, and stays for whoever investigates.
    const records = all.filter((record) => {
      const speaksFor = tenantOfEntry(record.entry);
      if (speaksFor === record.tenantId) return true;
      if (speaksFor === undefined) {
        logger.error("outbox record not sent: its entry holds no event", { event_id: record.eventId });
        return false;
      }
      logFailure(
        logger,
        "outbox record not sent",
        new TenantIsolationError(
          `outbox record in tenant ${record.tenantId}'s partition holds an event of ${speaksFor}`,
        ),
        { event_id: record.eventId },
      );
      return false;
    });
    const foreign = all.length - records.length;
    if (records.length === 0) return { published: 0, failed: foreign };
    let unsent = new Set<EventEntry>();
    try {
      await options.sender.send(records.map((record) => record.entry));
    } catch (error) {
      if (!(error instanceof EventPublishError)) throw error;
      unsent = new Set(error.failed);
      logger.warn("outbox sweep: events still not published", { count: unsent.size, error });
    }
    const sent = records.filter((record) => !unsent.has(record.entry));
    for (const record of sent) {
      try {
        await client.send(
          new DeleteCommand({
            TableName: options.tableName,
            Key: { tenantId: record.tenantId, eventId: record.eventId },
          }),
        );
      } catch (error) {
        // Published: left in the outbox, it is published again by a later sweep (at least once).
        logger.warn("outbox sweep: event published but not removed", {
          event_id: record.eventId,
          error: error as Error,
        });
      }
    }
    return { published: sent.length, failed: unsent.size + foreign };
  }

  return {
    async sweep(now = new Date()) {
      const cutoff = new Date(now.getTime() - olderThanMs).toISOString();
      const total: SweepResult = { published: 0, failed: 0 };
      // A shard that fails (its index throttled, say) does not keep the others from being swept;
      // the sweep fails after them, so that the failure shows.
      let shardFailure: unknown;
      for (let shard = 0; shard < OUTBOX_SHARDS; shard++) {
        try {
          await sweepShard(shard);
        } catch (error) {
          shardFailure ??= error;
          logFailure(logger, "outbox sweep: a shard could not be swept", error, { shard });
        }
      }
      if (shardFailure) throw shardFailure;
      return total;

      async function sweepShard(shard: number) {
        const pages = paginateQuery(
          { client, pageSize: 100 },
          {
            TableName: options.tableName,
            IndexName: indexName,
            KeyConditionExpression: "#shard = :shard AND #createdAt < :cutoff",
            ExpressionAttributeNames: { "#shard": "shard", "#createdAt": "createdAt" },
            ExpressionAttributeValues: { ":shard": String(shard), ":cutoff": cutoff },
          },
        );
        for await (const page of pages) {
          const records = (page.Items ?? []) as OutboxRecord[];
          if (records.length === 0) continue;
          const result = await publishAndRemove(records);
          total.published += result.published;
          total.failed += result.failed;
        }
      }
    },
  };
}

/** The tenant an entry's detail names; undefined when the detail is not JSON. */
function tenantOfEntry(entry: EventEntry): unknown {
  try {
    return (JSON.parse(entry.Detail) as { tenantId?: unknown }).tenantId;
  } catch {
    return undefined;
  }
}

function secondsFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number of seconds, got '${raw}'`);
  return value;
}

/**
 * The Lambda handler of the scheduled outbox sweeper. Reads `OUTBOX_TABLE` and
 * `OUTBOX_SWEEP_AFTER_SECONDS` (default 60) at cold start.
 *
 * @example
 * // functions/outbox-sweeper/handler.ts
 * export const handler = createOutboxSweeperHandler();
 */
export function createOutboxSweeperHandler(
  options: Partial<OutboxSweeperOptions> = {},
): (event?: unknown, context?: Context) => Promise<SweepResult> {
  const sweeper = createOutboxSweeper({
    tableName: options.tableName ?? requireEnv("OUTBOX_TABLE"),
    sender: options.sender ?? createEventSender(),
    olderThanSeconds: options.olderThanSeconds ?? secondsFromEnv("OUTBOX_SWEEP_AFTER_SECONDS", 60),
    ...(options.client && { client: options.client }),
  });
  return async function sweepOutbox(_event, context) {
    logger.resetKeys();
    if (context) logger.addContext(context);
    const result = await sweeper.sweep();
    if (result.published > 0 || result.failed > 0) logger.info("outbox swept", { ...result });
    metrics.addMetric("OutboxEventsRepublished", MetricUnit.Count, result.published);
    metrics.addMetric("OutboxEventsStillPending", MetricUnit.Count, result.failed);
    metrics.publishStoredMetrics();
    return result;
  };
}
