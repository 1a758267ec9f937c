import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createTenantCredentials, createTenantDataSource } from "@tenantkit/tenant-context";
import { activeTenantRegistry } from "@tenantkit/tenant-context/testing";
import type { SQSEvent } from "aws-lambda";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createAuditStore } from "../../functions/audit/audit-store.ts";
import { createAuditConsumer } from "../../functions/audit/consumer.ts";
import { eventually } from "../../test/support/eventually.ts";
import { type EventSources, startEventSources } from "./event-sources.ts";
import type { InvocationOutcome } from "./gateway/index.ts";
import type { ResolveContext, Template } from "./template.ts";

const { context } = inject("localAws");
const sqs = new SQSClient({});
const suffix = Date.now().toString(36);
const running: EventSources[] = [];

afterAll(async () => {
  await Promise.all(running.map((sources) => sources.stop()));
  sqs.destroy();
});

/** A queue with a dead-letter queue, as the template declares the audit queue, but with quick retries. */
async function queuePair(name: string, options: { visibility?: number; maxReceiveCount?: number } = {}) {
  const arnOf = async (url: string) =>
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))).Attributes
      ?.QueueArn as string;
  const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq-${suffix}` }))).QueueUrl as string;
  const url = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: `${name}-${suffix}`,
        Attributes: {
          VisibilityTimeout: String(options.visibility ?? 1),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: await arnOf(dlqUrl),
            maxReceiveCount: options.maxReceiveCount ?? 2,
          }),
        },
      }),
    )
  ).QueueUrl as string;
  return { url, arn: await arnOf(url), dlqUrl };
}

/** A template with one function fed by the queue (the shape SAM's `Type: SQS` event has). */
function templateFor(queueArn: string, events: Record<string, unknown> = {}): [Template, ResolveContext] {
  const template: Template = {
    Resources: {
      Consumer: {
        Type: "AWS::Serverless::Function",
        Properties: {
          Timeout: 1,
          Events: {
            Queue: {
              Type: "SQS",
              Properties: {
                Queue: { "Fn::GetAtt": ["Queue", "Arn"] },
                BatchSize: 3,
                FunctionResponseTypes: ["ReportBatchItemFailures"],
                ...events,
              },
            },
          },
        },
      },
    },
  };
  return [template, { ...context, attributes: { ...context.attributes, "Queue.Arn": queueArn } }];
}

async function start(
  queueArn: string,
  invoke: (event: SQSEvent) => Promise<InvocationOutcome>,
  events?: Record<string, unknown>,
) {
  const [template, resolveContext] = templateFor(queueArn, events);
  const sources = await startEventSources({
    template,
    context: resolveContext,
    invoke: (_functionId, event) => invoke(event as SQSEvent),
    sqs,
    waitTimeSeconds: 1,
    pollersPerSource: 1,
  });
  running.push(sources);
  return sources;
}

const send = (url: string, body: string) => sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));

async function queueDepth(url: string) {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
}

describe("the local SQS event source (moto)", () => {
  it("delivers messages in batches of at most BatchSize and deletes them after a success", async () => {
    const queue = await queuePair("batches");
    const batches: string[][] = [];
    for (let i = 0; i < 7; i++) await send(queue.url, `m${i}`);
    await start(queue.arn, async (event) => {
      batches.push(event.Records.map((r) => r.body));
      return { status: "succeeded", payload: { batchItemFailures: [] } };
    });

    await eventually(
      async () => batches.flat().length,
      (n) => n >= 7,
    );
    expect(batches.every((b) => b.length <= 3)).toBe(true);
    expect(batches.flat().sort()).toEqual(["m0", "m1", "m2", "m3", "m4", "m5", "m6"]);
    expect(
      await eventually(
        () => queueDepth(queue.url),
        (n) => n === 0,
      ),
    ).toBe(0);
  });

  it("returns only the reported failures to the queue, which come back after the visibility timeout", async () => {
    const queue = await queuePair("partial", { maxReceiveCount: 5 });
    const deliveries: { body: string; receiveCount: string }[] = [];
    for (const body of ["ok-1", "flaky", "ok-2"]) await send(queue.url, body);
    await start(queue.arn, async (event) => {
      deliveries.push(
        ...event.Records.map((r) => ({ body: r.body, receiveCount: r.attributes.ApproximateReceiveCount })),
      );
      const failures = event.Records.filter((r) => r.body === "flaky" && r.attributes.ApproximateReceiveCount === "1");
      return {
        status: "succeeded",
        payload: { batchItemFailures: failures.map((r) => ({ itemIdentifier: r.messageId })) },
      };
    });

    await eventually(
      async () => deliveries.length,
      (n) => n >= 4,
    );
    expect(deliveries.filter((d) => d.body === "ok-1")).toHaveLength(1);
    expect(deliveries.filter((d) => d.body === "ok-2")).toHaveLength(1);
    expect(deliveries.filter((d) => d.body === "flaky").map((d) => d.receiveCount)).toEqual(["1", "2"]);
    expect(
      await eventually(
        () => queueDepth(queue.url),
        (n) => n === 0,
      ),
    ).toBe(0);
  });

  it("retries the whole batch when the invocation fails", async () => {
    const queue = await queuePair("crash", { maxReceiveCount: 5 });
    await send(queue.url, "a");
    await send(queue.url, "b");
    let calls = 0;
    const seen: string[] = [];
    await start(queue.arn, async (event) => {
      calls += 1;
      seen.push(...event.Records.map((r) => r.body));
      if (calls === 1) return { status: "failed", error: { errorType: "Error", errorMessage: "boom", trace: [] } };
      return { status: "succeeded", payload: null };
    });
    await eventually(
      async () => seen.length,
      (n) => n >= 4,
    );
    expect(seen.filter((b) => b === "a")).toHaveLength(2);
    expect(seen.filter((b) => b === "b")).toHaveLength(2);
  });

  it("moves a poison message to the dead-letter queue after maxReceiveCount; the audit consumer records the rest once", async () => {
    const queue = await queuePair("poison", { maxReceiveCount: 2 });
    const tenantId = `poison-${suffix}`;
    const data = createTenantDataSource({
      tables: { audit: context.refs.AuditTable as string },
      credentials: createTenantCredentials({ roleArn: context.attributes["TenantDataRole.Arn"] as string }),
    });
    const consumer = createAuditConsumer({ dataSource: data, registry: activeTenantRegistry() });
    const event = (eventId: string) =>
      JSON.stringify({
        version: "0",
        id: crypto.randomUUID(),
        "detail-type": "OrderPlaced",
        source: "tenantkit.orders",
        detail: { eventId, tenantId, correlationId: "c-1", occurredAt: new Date().toISOString(), data: { n: 1 } },
      });
    const good = crypto.randomUUID();
    await send(queue.url, event(good));
    await send(queue.url, "this is not an event");
    await send(queue.url, event(good)); // the same event delivered twice
    let invocations = 0;
    await start(queue.arn, async (sqsEvent) => {
      invocations += 1;
      return { status: "succeeded", payload: await consumer(sqsEvent) };
    });

    expect(
      await eventually(
        () => queueDepth(queue.dlqUrl),
        (n) => n === 1,
      ),
    ).toBe(1);
    expect(
      await eventually(
        () => queueDepth(queue.url),
        (n) => n === 0,
      ),
    ).toBe(0);
    const attemptsBefore = invocations;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(invocations, "the poison message is not retried once it is in the DLQ").toBe(attemptsBefore);
    const trail = await createAuditStore(data.forTenant(tenantId).table("audit")).page(10);
    expect(trail.items.map((e) => e.eventId)).toEqual([good]);
  });

  it("refuses, as Lambda does, a queue whose visibility timeout is shorter than the function's timeout", async () => {
    const queue = await queuePair("short", { visibility: 1 });
    const [template, resolveContext] = templateFor(queue.arn);
    (template.Resources.Consumer?.Properties as { Timeout: number }).Timeout = 30;
    await expect(
      startEventSources({ template, context: resolveContext, invoke: async () => ({ status: "streamed" }), sqs }),
    ).rejects.toThrow(/visibility timeout of 1 s, less than the function's timeout of 30 s/);
  });
});
