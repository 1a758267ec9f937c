/** Publishes Tenantkit events to the EventBridge bus: fills in the contract's fields and retries what fails. */
import { randomUUID } from "node:crypto";
import type {
  EventBridgeClient,
  PutEventsCommand,
  PutEventsCommandOutput,
  PutEventsRequestEntry,
} from "@aws-sdk/client-eventbridge";
import { requireEnv } from "../config.ts";
import { checkOutgoingEvent, type TenantEventDetail } from "./tenant-event.ts";

/** One EventBridge `PutEvents` entry, exactly as it is sent (and as the outbox keeps it). */
export interface EventEntry {
  EventBusName: string;
  Source: string;
  DetailType: string;
  /** the JSON of a `TenantEventDetail` */
  Detail: string;
}

/** What a publisher needs to know about a new event; the rest of the contract is filled in. */
export interface NewTenantEvent<T extends object = Record<string, unknown>> {
  tenantId: string;
  /** the event name, e.g. `TenantOnboarded` */
  type: string;
  data: T;
  /** default: a new id (outside a request there is nothing to correlate with) */
  correlationId?: string;
  /** the user whose request caused it; none outside a request */
  userId?: string;
  /** default: a new UUID */
  eventId?: string;
  /** default: now */
  occurredAt?: Date;
}

/** An event ready to send: its detail and the `PutEvents` entry that carries it. */
export interface PreparedEvent<T extends object = Record<string, unknown>> {
  detail: TenantEventDetail<T>;
  entry: EventEntry;
}

/** The part of the EventBridge client a publisher uses (a fake in unit tests). */
export interface PutEventsClient {
  send(command: PutEventsCommand): Promise<PutEventsCommandOutput>;
}

/** Sends prepared entries to EventBridge, retrying the failed ones. */
export interface EventSender {
  /** up to 10 entries per call to EventBridge; throws `EventPublishError` naming what is still unsent */
  send(entries: EventEntry[]): Promise<void>;
}

export interface EventSenderOptions {
  client?: PutEventsClient;
  /** attempts per call, the first included (default 4); the SDK's own retries happen inside each */
  maxAttempts?: number;
  /** first back-off; doubled per attempt, with full jitter (default 50 ms) */
  baseDelayMs?: number;
}

export interface EventPublisherOptions extends EventSenderOptions {
  /** default: the `EVENT_BUS_NAME` environment variable */
  busName?: string;
  /** `tenantkit.<service>`, e.g. `tenantkit.orders`: part of the contract (rules match on it), so always explicit */
  source: string;
  /** default: `createEventSender(options)` */
  sender?: EventSender;
}

/** Publishes events of one source to one bus. Create once per container. */
export interface EventPublisher extends EventSender {
  readonly busName: string;
  readonly source: string;
  /** builds the event (new id, time, correlation id unless given) without sending it */
  prepare<T extends object>(event: NewTenantEvent<T>): PreparedEvent<T>;
  /** prepares and sends one event; throws `EventPublishError` once the retries are spent */
  publish<T extends object>(event: NewTenantEvent<T>): Promise<TenantEventDetail<T>>;
}

/**
 * Some events could not be published after every retry; `failed` lists them (a subset of what was sent).
 *
 * @example
 * try { await sender.send(records.map((record) => record.entry)); }
 * catch (error) { if (!(error instanceof EventPublishError)) throw error; unsent = new Set(error.failed); }
 */
export class EventPublishError extends Error {
  declare readonly failed: EventEntry[];

  constructor(failed: EventEntry[], reason: string, options?: { cause?: unknown }) {
    super(`${failed.length} event(s) not published: ${reason}`, options);
    this.name = "EventPublishError";
    // Not enumerable: the logger writes an error's enumerable properties, and these entries carry
    // the tenant's business data.
    Object.defineProperty(this, "failed", { value: failed, enumerable: false });
  }
}

/** EventBridge's limit for one entry (Source, DetailType, Detail and the time stamp together). */
export const MAX_EVENT_BYTES = 256 * 1024;
const ENTRIES_PER_CALL = 10;

/** How long one PutEvents may take to connect, and then to answer (it takes tens of milliseconds). */
const CALL_TIMEOUT_MS = 1000;

const entrySize = (entry: EventEntry) =>
  Buffer.byteLength(entry.Source) + Buffer.byteLength(entry.DetailType) + Buffer.byteLength(entry.Detail) + 14;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The entries in PutEvents calls of at most 10 entries and 256 KB together: EventBridge refuses a
 * larger call whole, and since a sweep reads the oldest records first, the same ones would meet in
 * the same refused call on every sweep.
 */
function callsOf(entries: EventEntry[]): EventEntry[][] {
  const calls: EventEntry[][] = [];
  let call: EventEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entrySize(entry);
    if (call.length > 0 && (call.length === ENTRIES_PER_CALL || bytes + size > MAX_EVENT_BYTES)) {
      calls.push(call);
      call = [];
      bytes = 0;
    }
    call.push(entry);
    bytes += size;
  }
  if (call.length > 0) calls.push(call);
  return calls;
}

/**
 * Creates the sender that publishers (and the outbox sweeper) share: `PutEvents` in calls of at
 * most 10 entries and 256 KB, entries that EventBridge refuses or that a failed call left unsent
 * retried with back-off.
 *
 * @example
 * const sender = createEventSender();
 * await sender.send(outboxRecords.map((record) => record.entry));
 */
export function createEventSender(options: EventSenderOptions = {}): EventSender {
  // The EventBridge client loads on the first send: functions that never publish never load it.
  let client: PutEventsClient | EventBridgeClient | undefined = options.client;
  const eventBridge = () => import("@aws-sdk/client-eventbridge");
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const baseDelayMs = options.baseDelayMs ?? 50;

  /** One PutEvents call; returns the entries EventBridge did not take (all of them if the call failed). */
  async function putOnce(entries: EventEntry[]): Promise<{ failed: EventEntry[]; reason: string; cause?: unknown }> {
    try {
      const { EventBridgeClient, PutEventsCommand } = await eventBridge();
      client ??= new EventBridgeClient({
        // Publishing follows a commit, inside the request that made it: a call that hangs must
        // not hold that request (to a 5xx for a change that is done). Each try gives up after a
        // second to connect and a second to answer, and this loop (not the SDK) tries again.
        requestHandler: {
          connectionTimeout: CALL_TIMEOUT_MS,
          requestTimeout: CALL_TIMEOUT_MS,
          throwOnRequestTimeout: true,
        },
        maxAttempts: 1,
      });
      const output = await client.send(new PutEventsCommand({ Entries: entries as PutEventsRequestEntry[] }));
      if (!output.FailedEntryCount) return { failed: [], reason: "" };
      const results = output.Entries ?? [];
      const failed = entries.filter((_, i) => !results[i]?.EventId);
      const codes = [...new Set(results.flatMap((r) => (r.ErrorCode ? [r.ErrorCode] : [])))];
      return { failed, reason: `EventBridge refused entries (${codes.join(", ") || "no error code"})` };
    } catch (error) {
      return { failed: entries, reason: error instanceof Error ? error.message : String(error), cause: error };
    }
  }

  async function sendChunk(entries: EventEntry[]): Promise<void> {
    let pending = entries;
    for (let attempt = 1; ; attempt++) {
      const { failed, reason, cause } = await putOnce(pending);
      if (failed.length === 0) return;
      if (attempt >= maxAttempts) throw new EventPublishError(failed, reason, { cause });
      pending = failed;
      await sleep(Math.random() * baseDelayMs * 2 ** (attempt - 1));
    }
  }

  return {
    async send(entries) {
      const failed: EventEntry[] = [];
      let lastError: EventPublishError | undefined;
      for (const chunk of callsOf(entries)) {
        try {
          await sendChunk(chunk);
        } catch (error) {
          if (!(error instanceof EventPublishError)) throw error;
          failed.push(...error.failed);
          lastError = error;
        }
      }
      if (lastError) throw new EventPublishError(failed, lastError.message, { cause: lastError.cause });
    },
  };
}

/**
 * Creates a publisher. Reads `EVENT_BUS_NAME` once (unless `busName` is given), failing at cold
 * start when it is missing. Inside a request use `c.var.events`, which
 * fills in the caller's tenant and correlation id; outside one (the control plane, a sweeper)
 * call `publish` with an explicit tenant id.
 *
 * @example
 * const events = createEventPublisher({ source: "tenantkit.tenants" });
 * await events.publish({ tenantId: "acme", type: "TenantOnboarded", data: { tier: "basic" } });
 */
export function createEventPublisher(options: EventPublisherOptions): EventPublisher {
  const busName = options.busName ?? requireEnv("EVENT_BUS_NAME");
  const { source } = options;
  const sender = options.sender ?? createEventSender(options);

  const publisher: EventPublisher = {
    busName,
    source,

    prepare<T extends object>(event: NewTenantEvent<T>): PreparedEvent<T> {
      checkOutgoingEvent(source, event.type, event.tenantId, event.userId);
      const eventId = event.eventId ?? randomUUID();
      const detail: TenantEventDetail<T> = {
        eventId,
        tenantId: event.tenantId,
        correlationId: event.correlationId ?? eventId,
        ...(event.userId !== undefined && { userId: event.userId }),
        occurredAt: (event.occurredAt ?? new Date()).toISOString(),
        data: event.data,
      };
      const entry = { EventBusName: busName, Source: source, DetailType: event.type, Detail: JSON.stringify(detail) };
      if (entrySize(entry) > MAX_EVENT_BYTES) {
        throw new EventPublishError([entry], `the event is larger than EventBridge's ${MAX_EVENT_BYTES} bytes`);
      }
      return { detail, entry };
    },

    async publish<T extends object>(event: NewTenantEvent<T>) {
      const { detail, entry } = publisher.prepare(event);
      await sender.send([entry]);
      return detail;
    },

    send: (entries) => sender.send(entries),
  };
  return publisher;
}
