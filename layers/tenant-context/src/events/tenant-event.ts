/** The event contract every Tenantkit service publishes and consumes: EventBridge envelope, tenant-stamped detail. */
import { isUserId, TENANT_ID_PATTERN } from "../auth/token-verifier.ts";
import { CORRELATION_ID_PATTERN } from "../observability/correlation.ts";

/** Every source is `tenantkit.<service>`, e.g. `tenantkit.orders`, `tenantkit.tenants`. */
export const EVENT_SOURCE_PREFIX = "tenantkit.";

/** An event name (EventBridge `DetailType`): PascalCase, e.g. `OrderPlaced`. */
export const EVENT_TYPE_PATTERN = /^[A-Z][A-Za-z0-9]{0,127}$/;

/** `tenantkit.` and a service name. */
export const EVENT_SOURCE_PATTERN = /^tenantkit\.[a-z][a-z0-9-]{0,63}$/;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/** The EventBridge `Detail` of every Tenantkit event. */
export interface TenantEventDetail<T extends object = Record<string, unknown>> {
  /** unique per event; consumers deduplicate on it (delivery is at least once) */
  eventId: string;
  tenantId: string;
  /** the request (or process) that caused the event, for tracing across services */
  correlationId: string;
  /** the user whose request caused the event (the token's `sub`); absent when none did (a sign-up, a job) */
  userId?: string;
  /** when it happened, ISO 8601 in UTC with milliseconds */
  occurredAt: string;
  data: T;
}

/** A Tenantkit event as a consumer sees it: the detail plus its name and source. */
export interface TenantEvent<T extends object = Record<string, unknown>> extends TenantEventDetail<T> {
  /** EventBridge `detail-type`, e.g. `OrderPlaced` */
  type: string;
  /** EventBridge `source`, e.g. `tenantkit.orders` */
  source: string;
}

/**
 * The event does not follow the contract; retrying will not help (it ends in the dead-letter queue).
 *
 * @example
 * if (typeof event.data.orderId !== "string") throw new MalformedEventError("OrderPlaced without orderId");
 */
export class MalformedEventError extends Error {
  constructor(reason: string) {
    super(`malformed event: ${reason}`);
    this.name = "MalformedEventError";
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Checks an EventBridge event (as EventBridge delivers it to a target, e.g. an SQS message body)
 * against the contract and returns it as a `TenantEvent`. `occurredAt` comes back normalised to
 * `Date#toISOString()` form so that it sorts as text.
 *
 * @example
 * const event = readTenantEvent(JSON.parse(sqsRecord.body));
 * console.log(event.type, event.tenantId, event.eventId);
 */
export function readTenantEvent(envelope: unknown): TenantEvent {
  if (!isObject(envelope)) throw new MalformedEventError("not a JSON object");
  const source = envelope.source;
  const type = envelope["detail-type"];
  const detail = envelope.detail;
  if (typeof source !== "string" || !EVENT_SOURCE_PATTERN.test(source)) {
    throw new MalformedEventError("source is not tenantkit.<service>");
  }
  if (typeof type !== "string" || !EVENT_TYPE_PATTERN.test(type)) throw new MalformedEventError("bad detail-type");
  if (!isObject(detail)) throw new MalformedEventError("detail is not an object");
  const { eventId, tenantId, correlationId, userId, occurredAt, data } = detail;
  if (typeof eventId !== "string" || !UUID_PATTERN.test(eventId)) throw new MalformedEventError("bad eventId");
  if (typeof tenantId !== "string" || !TENANT_ID_PATTERN.test(tenantId)) throw new MalformedEventError("bad tenantId");
  if (typeof correlationId !== "string" || !CORRELATION_ID_PATTERN.test(correlationId)) {
    throw new MalformedEventError("bad correlationId");
  }
  if (userId !== undefined && !isUserId(userId)) throw new MalformedEventError("bad userId");
  if (typeof occurredAt !== "string" || !ISO_INSTANT.test(occurredAt) || Number.isNaN(Date.parse(occurredAt))) {
    throw new MalformedEventError("bad occurredAt");
  }
  if (!isObject(data)) throw new MalformedEventError("data is not an object");
  return {
    type,
    source,
    eventId: eventId.toLowerCase(),
    tenantId,
    correlationId,
    ...(userId !== undefined && { userId }),
    occurredAt: new Date(occurredAt).toISOString(),
    data,
  };
}

/** Checks the parts of an event a publisher chooses, before anything is sent. */
export function checkOutgoingEvent(source: string, type: string, tenantId: string, userId?: string): void {
  if (!EVENT_SOURCE_PATTERN.test(source)) throw new Error(`event source '${source}' is not tenantkit.<service>`);
  if (!EVENT_TYPE_PATTERN.test(type)) throw new Error(`event type '${type}' is not a PascalCase name`);
  if (!TENANT_ID_PATTERN.test(tenantId)) throw new Error(`'${tenantId}' is not a tenant id`);
  if (userId !== undefined && !isUserId(userId)) throw new Error(`'${userId}' is not a user id`);
}
