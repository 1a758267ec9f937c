/**
 * @module
 * Events between services, the asynchronous half of the AWS microservices whitepaper: one contract
 * (EventBridge `Source: tenantkit.<service>`, `DetailType` = event name, `Detail` =
 * `{ eventId, tenantId, correlationId, occurredAt, data }`), a publisher with retries
 * (`c.var.events` inside a request, `createEventPublisher` outside one), a transactional outbox
 * with its sweeper (at-least-once delivery), and the consumer side: SQS batches checked against
 * the contract, each event handled with its own tenant's data, failures reported per message.
 */
export {
  createOutboxSweeper,
  createOutboxSweeperHandler,
  OUTBOX_INDEX,
  OUTBOX_SHARDS,
  type OutboxRecord,
  type OutboxSweeper,
  type OutboxSweeperOptions,
  outboxItem,
  type StagedEvent,
  type SweepResult,
  stageEvent,
} from "./event-outbox.ts";
export {
  createEventPublisher,
  createEventSender,
  type EventEntry,
  EventPublishError,
  type EventPublisher,
  type EventPublisherOptions,
  type EventSender,
  type EventSenderOptions,
  MAX_EVENT_BYTES,
  type NewTenantEvent,
  type PreparedEvent,
  type PutEventsClient,
} from "./event-publisher.ts";
export {
  EVENT_SOURCE_PREFIX,
  MalformedEventError,
  readTenantEvent,
  type TenantEvent,
  type TenantEventDetail,
} from "./tenant-event.ts";
export {
  createTenantEventConsumer,
  type SqsBatchHandler,
  type TenantEventConsumerOptions,
  type TenantEventContext,
  type TenantEventHandler,
} from "./tenant-event-consumer.ts";
export { createTenantEvents, type TenantEvents, type TenantEventsOptions } from "./tenant-events.ts";
