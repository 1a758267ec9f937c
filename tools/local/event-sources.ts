/** Lambda's event sources for the local stack: SQS queues polled and delivered in batches, schedules fired at their rate. */
import { randomUUID } from "node:crypto";
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import type { InvocationOutcome } from "./gateway/index.ts";
import {
  functionProperties,
  type Json,
  type ResolveContext,
  resolve,
  resourcesOfType,
  type Template,
} from "./template.ts";

/** One `Type: SQS` event of a function, resolved. */
export interface SqsEventSource {
  functionId: string;
  eventId: string;
  queueArn: string;
  /** Lambda's default is 10 */
  batchSize: number;
  /** `MaximumBatchingWindowInSeconds`: how long to gather a batch (0: deliver what one receive gives) */
  batchingWindowSeconds: number;
  /** `FunctionResponseTypes: [ReportBatchItemFailures]` */
  reportBatchItemFailures: boolean;
  functionTimeoutSeconds: number;
  enabled: boolean;
}

/** One `Type: Schedule` (or `ScheduleV2`) event of a function, resolved. */
export interface ScheduleEventSource {
  functionId: string;
  eventId: string;
  expression: string;
  /** undefined for expressions the local stack does not run (cron) */
  intervalMs: number | undefined;
  /** the event the function gets: `Input` if the template gives one, else a Scheduled Event */
  input: unknown;
  enabled: boolean;
}

/** Every `Type: SQS` event source of the template. */
export function sqsEventSources(template: Template, context: ResolveContext): SqsEventSource[] {
  const sources: SqsEventSource[] = [];
  for (const [functionId] of resourcesOfType(template, "AWS::Serverless::Function")) {
    const properties = functionProperties(template, functionId);
    for (const [eventId, event] of Object.entries<Json>(properties.Events ?? {})) {
      if (event.Type !== "SQS") continue;
      const props = resolve(event.Properties ?? {}, context);
      sources.push({
        functionId,
        eventId,
        queueArn: String(props.Queue),
        batchSize: Number(props.BatchSize ?? 10),
        batchingWindowSeconds: Number(props.MaximumBatchingWindowInSeconds ?? 0),
        reportBatchItemFailures: (props.FunctionResponseTypes ?? []).includes("ReportBatchItemFailures"),
        functionTimeoutSeconds: Number(resolve(properties.Timeout ?? 3, context)),
        enabled: props.Enabled !== false && props.Enabled !== "false",
      });
    }
  }
  return sources;
}

/** `rate(5 minutes)` -> 300000; undefined for anything else (cron expressions are not run locally). */
export function rateIntervalMs(expression: string): number | undefined {
  const match = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!match) return undefined;
  const unitMs = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[match[2]?.replace(/s$/, "") as "minute"];
  return Number(match[1]) * unitMs;
}

/** Every `Type: Schedule` / `ScheduleV2` event source of the template. */
export function scheduleEventSources(template: Template, context: ResolveContext): ScheduleEventSource[] {
  const sources: ScheduleEventSource[] = [];
  for (const [functionId] of resourcesOfType(template, "AWS::Serverless::Function")) {
    const properties = functionProperties(template, functionId);
    for (const [eventId, event] of Object.entries<Json>(properties.Events ?? {})) {
      if (event.Type !== "Schedule" && event.Type !== "ScheduleV2") continue;
      const props = resolve(event.Properties ?? {}, context);
      const expression = String(props.Schedule ?? props.ScheduleExpression);
      const enabled = props.Enabled !== false && props.State !== "DISABLED";
      sources.push({
        functionId,
        eventId,
        expression,
        intervalMs: rateIntervalMs(expression),
        input: props.Input === undefined ? undefined : JSON.parse(props.Input),
        enabled,
      });
    }
  }
  return sources;
}

/** The event Lambda's SQS poller hands to a function for a batch of messages. */
export function sqsEvent(messages: Message[], queueArn: string): SQSEvent {
  const region = queueArn.split(":")[3] ?? "us-east-1";
  const record = (message: Message): SQSRecord => {
    const attributes = message.Attributes ?? {};
    return {
      messageId: message.MessageId ?? "",
      receiptHandle: message.ReceiptHandle ?? "",
      body: message.Body ?? "",
      attributes: {
        ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? "1",
        SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
        SenderId: attributes.SenderId ?? "",
        ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        ...(attributes.AWSTraceHeader && { AWSTraceHeader: attributes.AWSTraceHeader }),
      },
      messageAttributes: Object.fromEntries(
        Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
          name,
          {
            dataType: value.DataType ?? "String",
            ...(value.StringValue !== undefined && { stringValue: value.StringValue }),
            ...(value.BinaryValue !== undefined && { binaryValue: Buffer.from(value.BinaryValue).toString("base64") }),
            stringListValues: [],
            binaryListValues: [],
          },
        ]),
      ),
      md5OfBody: message.MD5OfBody ?? "",
      eventSource: "aws:sqs",
      eventSourceARN: queueArn,
      awsRegion: region,
    };
  };
  return { Records: messages.map(record) };
}

/** What becomes of a delivered batch: messages to delete, and why the others stay (they reappear later). */
export interface BatchSettlement {
  done: Message[];
  retried: Message[];
  reason?: string;
}

/**
 * Lambda's rules for a batch: an invocation that failed, timed out or crashed leaves every
 * message in the queue. A success deletes every message, except, with ReportBatchItemFailures,
 * those listed in `batchItemFailures`; a list naming a message that is not in the batch (or an
 * empty identifier) counts as a failure of the whole batch.
 */
export function settleBatch(
  outcome: InvocationOutcome,
  messages: Message[],
  reportBatchItemFailures: boolean,
): BatchSettlement {
  if (outcome.status !== "succeeded" && outcome.status !== "streamed") {
    const reason =
      outcome.status === "failed" ? `${outcome.error.errorType}: ${outcome.error.errorMessage}` : outcome.status;
    return { done: [], retried: messages, reason };
  }
  const payload = outcome.status === "succeeded" ? (outcome.payload as Json) : undefined;
  const failures = reportBatchItemFailures ? payload?.batchItemFailures : undefined;
  if (failures === undefined || failures === null || (Array.isArray(failures) && failures.length === 0)) {
    return { done: messages, retried: [] };
  }
  const ids = new Set(messages.map((m) => m.MessageId));
  const listed: unknown[] = Array.isArray(failures) ? failures : [failures];
  const failedIds = listed.map((failure) => (failure as Json)?.itemIdentifier);
  if (!Array.isArray(failures) || failedIds.some((id) => typeof id !== "string" || !ids.has(id))) {
    return { done: [], retried: messages, reason: "batchItemFailures names a message not in the batch" };
  }
  const failed = new Set(failedIds as string[]);
  return {
    done: messages.filter((m) => !failed.has(m.MessageId ?? "")),
    retried: messages.filter((m) => failed.has(m.MessageId ?? "")),
    reason: "reported as batch item failures",
  };
}

/** The event EventBridge Scheduler / a schedule rule sends. */
export function scheduledEvent(source: ScheduleEventSource, context: ResolveContext): unknown {
  if (source.input !== undefined) return source.input;
  const region = context.pseudo["AWS::Region"] ?? "us-east-1";
  const account = context.pseudo["AWS::AccountId"] ?? "123456789012";
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    region,
    resources: [`arn:aws:events:${region}:${account}:rule/${source.functionId}${source.eventId}`],
    detail: {},
  };
}

export interface EventSourcesOptions {
  template: Template;
  context: ResolveContext;
  /** runs a function of the template, e.g. the gateway's `lambda.invoke` */
  invoke: (functionId: string, event: unknown) => Promise<InvocationOutcome>;
  sqs?: SQSClient;
  /** ReceiveMessage long polling; Lambda's pollers use 20 s, 2 s keeps `stop()` quick (default 2) */
  waitTimeSeconds?: number;
  /** batches in flight per SQS event source, like Lambda's concurrent pollers (default 2) */
  pollersPerSource?: number;
  /** run Schedule events at their rate (default true) */
  schedules?: boolean;
  log?: (line: string) => void;
}

export interface EventSources {
  sqs: SqsEventSource[];
  schedules: ScheduleEventSource[];
  /** stops polling and timers, and waits for batches in flight */
  stop(): Promise<void>;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Starts delivering the template's event sources: each `Type: SQS` queue is long-polled and its
 * messages handed to the function in batches, as Lambda's SQS event source mapping does (batch
 * size, batching window, the queue's visibility timeout, `ReportBatchItemFailures`); redrive to
 * the dead-letter queue after `maxReceiveCount` is moto's own (its SQS applies RedrivePolicy on
 * receive). Schedules given as `rate(...)` invoke their function at that rate.
 *
 * @example
 * const sources = await startEventSources({ template, context, invoke: gateway.lambda.invoke });
 * await sources.stop();
 */
export async function startEventSources(options: EventSourcesOptions): Promise<EventSources> {
  const { template, context, invoke } = options;
  const log = options.log ?? (() => {});
  const sqs = options.sqs ?? new SQSClient({});
  const waitTimeSeconds = options.waitTimeSeconds ?? 2;
  const controller = new AbortController();
  const { signal } = controller;
  const running = new Set<Promise<void>>();
  const track = (work: Promise<void>) => {
    running.add(work);
    void work.finally(() => running.delete(work));
  };

  const sqsSources = sqsEventSources(template, context).filter((source) => source.enabled);
  const queues = await Promise.all(sqsSources.map((source) => checkQueue(sqs, source)));

  async function receiveBatch(source: SqsEventSource, queueUrl: string): Promise<Message[]> {
    const messages: Message[] = [];
    const windowEnds = Date.now() + source.batchingWindowSeconds * 1000;
    do {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, source.batchSize - messages.length),
          WaitTimeSeconds: messages.length === 0 ? waitTimeSeconds : 0,
          MessageSystemAttributeNames: ["All"],
          MessageAttributeNames: ["All"],
        }),
        { abortSignal: signal },
      );
      messages.push(...Messages);
      if (Messages.length === 0 && messages.length > 0) break;
    } while (messages.length > 0 && messages.length < source.batchSize && Date.now() < windowEnds && !signal.aborted);
    return messages;
  }

  async function poll(source: SqsEventSource, queueUrl: string): Promise<void> {
    const name = `${source.functionId} <- ${queueUrl.split("/").pop()}`;
    while (!signal.aborted) {
      let messages: Message[];
      try {
        messages = await receiveBatch(source, queueUrl);
      } catch (error) {
        if (signal.aborted) return;
        log(`${name}: ReceiveMessage failed: ${(error as Error).message}`);
        await sleep(1000, signal);
        continue;
      }
      if (messages.length === 0) continue;
      let outcome: InvocationOutcome;
      try {
        outcome = await invoke(source.functionId, sqsEvent(messages, source.queueArn));
      } catch (error) {
        // The function pool closed under us (the stack is stopping): the messages simply reappear.
        log(`${name}: invocation not run: ${(error as Error).message}`);
        continue;
      }
      const { done, retried, reason } = settleBatch(outcome, messages, source.reportBatchItemFailures);
      if (retried.length > 0) {
        log(`${name}: ${retried.length} of ${messages.length} message(s) will be retried (${reason})`);
      }
      for (let i = 0; i < done.length; i += 10) {
        const entries = done.slice(i, i + 10).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle }));
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries })).catch((error) => {
          log(`${name}: DeleteMessageBatch failed, the messages will be delivered again: ${error.message}`);
        });
      }
    }
  }

  sqsSources.forEach((source, i) => {
    for (let p = 0; p < (options.pollersPerSource ?? 2); p++) track(poll(source, queues[i] as string));
  });

  const scheduleSources = scheduleEventSources(template, context).filter((source) => source.enabled);
  const timers: NodeJS.Timeout[] = [];
  if (options.schedules !== false) {
    for (const source of scheduleSources) {
      if (source.intervalMs === undefined) {
        log(`${source.functionId}: schedule '${source.expression}' is not run locally (only rate(...) is)`);
        continue;
      }
      let busy = false;
      const timer = setInterval(() => {
        if (busy || signal.aborted) return;
        busy = true;
        const run: Promise<void> = invoke(source.functionId, scheduledEvent(source, context))
          .then((outcome) => {
            if (outcome.status !== "succeeded") log(`${source.functionId}: scheduled run ${outcome.status}`);
          })
          .catch((error) => log(`${source.functionId}: scheduled run not started: ${error.message}`))
          .finally(() => {
            busy = false;
          });
        track(run);
      }, source.intervalMs);
      timer.unref();
      timers.push(timer);
    }
  }

  return {
    sqs: sqsSources,
    schedules: scheduleSources,
    async stop() {
      controller.abort();
      for (const timer of timers) clearInterval(timer);
      await Promise.allSettled([...running]);
      if (!options.sqs) sqs.destroy();
    },
  };
}

/**
 * The queue's URL, after the check Lambda makes when the mapping is created: the queue's
 * visibility timeout must be at least the function's timeout.
 */
async function checkQueue(sqs: SQSClient, source: SqsEventSource): Promise<string> {
  const queueName = source.queueArn.split(":").pop() ?? "";
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
  if (!QueueUrl) throw new Error(`${source.functionId}.${source.eventId}: no queue ${queueName}`);
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["VisibilityTimeout"] }),
  );
  const visibility = Number(Attributes?.VisibilityTimeout ?? 30);
  if (visibility < source.functionTimeoutSeconds) {
    throw new Error(
      `${source.functionId}.${source.eventId}: queue ${queueName} has a visibility timeout of ${visibility} s, less than ` +
        `the function's timeout of ${source.functionTimeoutSeconds} s; Lambda refuses such an event source`,
    );
  }
  return QueueUrl;
}
