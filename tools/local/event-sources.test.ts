import type { Message } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import {
  rateIntervalMs,
  scheduledEvent,
  scheduleEventSources,
  settleBatch,
  sqsEvent,
  sqsEventSources,
} from "./event-sources.ts";
import { loadTemplate, type ResolveContext } from "./template.ts";

const queueArn = "arn:aws:sqs:us-east-1:123456789012:tenantkit-test-AuditQueue";
const context: ResolveContext = {
  parameters: {},
  pseudo: { "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012" },
  refs: {},
  attributes: { "AuditQueue.Arn": queueArn },
};

const message = (id: string): Message => ({
  MessageId: id,
  ReceiptHandle: `rh-${id}`,
  Body: `{"n":"${id}"}`,
  MD5OfBody: "md5",
  Attributes: { ApproximateReceiveCount: "2", SentTimestamp: "1700000000000", SenderId: "AIDA" },
  MessageAttributes: { kind: { DataType: "String", StringValue: "audit" } },
});
const batch = [message("a"), message("b"), message("c")];

describe("event sources read from template.yaml", () => {
  it("finds the audit consumer's SQS event source with its batch settings", () => {
    const sources = sqsEventSources(loadTemplate(), context);
    expect(sources).toContainEqual({
      functionId: "AuditConsumerFunction",
      eventId: "AuditQueue",
      queueArn,
      batchSize: 10,
      batchingWindowSeconds: 0,
      reportBatchItemFailures: true,
      functionTimeoutSeconds: 30,
      enabled: true,
    });
  });

  it("finds the outbox sweeper's schedule and its rate", () => {
    const sweeper = scheduleEventSources(loadTemplate(), context).find((s) => s.functionId === "OutboxSweeperFunction");
    expect(sweeper).toMatchObject({ expression: "rate(1 minute)", intervalMs: 60_000, enabled: true });
    expect(scheduledEvent(sweeper as never, context)).toMatchObject({
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: "123456789012",
    });
  });

  it.each([
    ["rate(1 minute)", 60_000],
    ["rate(5 minutes)", 300_000],
    ["rate(2 hours)", 7_200_000],
    ["rate(1 day)", 86_400_000],
    ["cron(0 12 * * ? *)", undefined],
  ])("reads %s as %s ms", (expression, ms) => {
    expect(rateIntervalMs(expression)).toBe(ms);
  });
});

describe("the SQS event a function gets", () => {
  it("has Lambda's record shape", () => {
    const [record] = sqsEvent([message("a")], queueArn).Records;
    expect(record).toEqual({
      messageId: "a",
      receiptHandle: "rh-a",
      body: '{"n":"a"}',
      attributes: {
        ApproximateReceiveCount: "2",
        SentTimestamp: "1700000000000",
        SenderId: "AIDA",
        ApproximateFirstReceiveTimestamp: expect.any(String),
      },
      messageAttributes: {
        kind: { dataType: "String", stringValue: "audit", stringListValues: [], binaryListValues: [] },
      },
      md5OfBody: "md5",
      eventSource: "aws:sqs",
      eventSourceARN: queueArn,
      awsRegion: "us-east-1",
    });
  });
});

describe("settling a batch as Lambda does", () => {
  const ids = (messages: Message[]) => messages.map((m) => m.MessageId);

  it("deletes every message after a success", () => {
    const settled = settleBatch({ status: "succeeded", payload: { batchItemFailures: [] } }, batch, true);
    expect(ids(settled.done)).toEqual(["a", "b", "c"]);
    expect(settled.retried).toEqual([]);
  });

  it("keeps only the reported failures with ReportBatchItemFailures", () => {
    const payload = { batchItemFailures: [{ itemIdentifier: "b" }] };
    const settled = settleBatch({ status: "succeeded", payload }, batch, true);
    expect(ids(settled.done)).toEqual(["a", "c"]);
    expect(ids(settled.retried)).toEqual(["b"]);
  });

  it("ignores batchItemFailures when the event source does not ask for them", () => {
    const payload = { batchItemFailures: [{ itemIdentifier: "b" }] };
    expect(settleBatch({ status: "succeeded", payload }, batch, false).retried).toEqual([]);
  });

  it("keeps the whole batch when the failures name a message that is not in it", () => {
    for (const itemIdentifier of ["zzz", "", null]) {
      const payload = { batchItemFailures: [{ itemIdentifier }] };
      expect(ids(settleBatch({ status: "succeeded", payload }, batch, true).retried)).toEqual(["a", "b", "c"]);
    }
  });

  it("keeps the whole batch when the invocation failed, timed out or crashed", () => {
    const failed = { status: "failed" as const, error: { errorType: "Error", errorMessage: "boom", trace: [] } };
    expect(settleBatch(failed, batch, true)).toMatchObject({ done: [], reason: "Error: boom" });
    expect(settleBatch({ status: "timed-out", timeoutSeconds: 30 }, batch, true).done).toEqual([]);
    expect(settleBatch({ status: "crashed", exitCode: 1, signal: null }, batch, true).done).toEqual([]);
  });
});
