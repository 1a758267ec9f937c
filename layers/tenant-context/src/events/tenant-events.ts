/** `c.var.events`: publishing from inside a request, with the caller's tenant and user and the request's correlation id filled in. */
import type { TenantTable } from "../data/tenant-scoped-table.ts";
import { type StagedEvent, stageEvent } from "./event-outbox.ts";
import type { EventPublisher } from "./event-publisher.ts";
import type { TenantEventDetail } from "./tenant-event.ts";

/** Events of the caller's tenant. No method takes a tenant id: the request's tenant is the only one. */
export interface TenantEvents {
  /** publishes now (with retries); throws `EventPublishError` once they are spent */
  publish<T extends object>(type: string, data: T): Promise<TenantEventDetail<T>>;
  /**
   * Stages the event in the outbox: put `staged.write` into the transaction that makes the change,
   * then `await staged.publish()` once it committed. Nothing is lost if publishing fails.
   */
  stage<T extends object>(type: string, data: T): StagedEvent<T>;
}

export interface TenantEventsOptions {
  /** undefined for a service that publishes nothing: every call then fails, saying so */
  publisher: EventPublisher | undefined;
  tenantId: string;
  correlationId: string;
  /** the caller; none for a request without one */
  userId?: string;
  /** the tenant's outbox table, for `stage` */
  outbox: (() => TenantTable) | undefined;
}

/**
 * Binds a publisher to one request; the tenant-context middleware does this for every request.
 *
 * @example
 * const events = createTenantEvents({ publisher, tenantId, correlationId, userId, outbox: () => data.table("outbox") });
 * await events.publish("ProductCreated", { productId });
 */
export function createTenantEvents(options: TenantEventsOptions): TenantEvents {
  const { tenantId, correlationId, userId } = options;
  const publisher = () => {
    if (!options.publisher) throw new Error("this service publishes no events: pass `events` to tenantContext()");
    return options.publisher;
  };
  return {
    publish: async (type, data) => publisher().publish({ tenantId, correlationId, userId, type, data }),
    stage(type, data) {
      const prepared = publisher().prepare({ tenantId, correlationId, userId, type, data });
      if (!options.outbox) throw new Error("this service has no outbox: pass `events.outboxTable` to tenantContext()");
      return stageEvent(prepared, options.outbox(), publisher());
    },
  };
}
