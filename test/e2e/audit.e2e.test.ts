/** The audit trail through the local gateway: events delivered EventBridge -> SQS -> consumer by the local stack itself. */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  PurgeQueueCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { createEventPublisher } from "@tenantkit/tenant-context";
import { afterAll, describe, expect, it } from "vitest";
import { localCredentials } from "../../tools/local/aws-env.ts";
import { LOCAL_STACK_NAME } from "../../tools/local/stack.ts";
import { ACME_ADMIN, ACME_USER, api, GLOBEX_ADMIN, ndjsonLines, stack, tokenOf } from "./client.ts";

const PROBLEM = "application/problem+json";
const busName = `${LOCAL_STACK_NAME}-events`;
const aws = { endpoint: stack.endpoint, region: stack.region, credentials: localCredentials };
const eventBridge = new EventBridgeClient(aws);
const sqs = new SQSClient(aws);
const dynamodb = new DynamoDBClient(aws);

afterAll(() => {
  eventBridge.destroy();
  sqs.destroy();
  dynamodb.destroy();
});

interface AuditEntry {
  eventId: string;
  type: string;
  source: string;
  occurredAt: string;
  correlationId: string;
  data: Record<string, unknown>;
}

/** Polls GET /audit until `accept` holds (delivery is asynchronous: bus, queue, consumer). */
async function auditUntil(email: string, accept: (items: AuditEntry[]) => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api("GET", "/audit?limit=100", { as: email });
    expect(res.status).toBe(200);
    const items = res.body.items as AuditEntry[];
    if (accept(items) || Date.now() > deadline) return items;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function placeOrder(email: string, productId: string) {
  const res = await fetch(`${stack.url}/orders`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${await tokenOf(email)}`,
      "Content-Type": "application/json",
      "Idempotency-Key": crypto.randomUUID(),
    },
    body: JSON.stringify({ items: [{ productId, quantity: 1 }] }),
  });
  expect(res.status).toBe(201);
  return { order: (await res.json()) as { id: string }, correlationId: res.headers.get("x-correlation-id") };
}

async function anyProductOf(email: string) {
  const created = await api("POST", "/products", {
    as: email,
    body: { name: `Audited ${Date.now()}`, priceCents: 100, currency: "EUR", stock: 100 },
  });
  return created.body.id as string;
}

/** An event as our services publish it, sent straight to the local bus. */
function contractEvent(tenantId: string, eventId = crypto.randomUUID(), occurredAt = new Date().toISOString()) {
  return {
    EventBusName: busName,
    Source: "tenantkit.orders",
    DetailType: "OrderPlaced",
    Detail: JSON.stringify({
      eventId,
      tenantId,
      correlationId: `e2e-${eventId}`,
      occurredAt,
      data: { orderId: eventId },
    }),
  };
}

describe("the audit trail", () => {
  it("shows an order placed through the gateway in GET /audit, without manual steps", async () => {
    const productId = await anyProductOf(ACME_ADMIN);
    const { order, correlationId } = await placeOrder(ACME_USER, productId);

    const items = await auditUntil(ACME_ADMIN, (all) => all.some((e) => e.data.orderId === order.id));
    const entry = items.find((e) => e.data.orderId === order.id);
    // The user who placed it: the `sub` of the token the order was placed with.
    const { sub } = JSON.parse(Buffer.from((await tokenOf(ACME_USER)).split(".")[1] ?? "", "base64url").toString());
    expect(entry).toMatchObject({ type: "OrderPlaced", source: "tenantkit.orders", correlationId, userId: sub });
    expect(items.filter((e) => e.data.orderId === order.id)).toHaveLength(1);

    const cancelled = await api("POST", `/orders/${order.id}/cancel`, { as: ACME_USER });
    expect(cancelled.status).toBe(200);
    const after = await auditUntil(ACME_ADMIN, (all) =>
      all.some((e) => e.type === "OrderCancelled" && e.data.orderId === order.id),
    );
    expect(after[0]).toMatchObject({ type: "OrderCancelled", data: { orderId: order.id } });

    const globex = await api("GET", "/audit?limit=100", { as: GLOBEX_ADMIN });
    expect(globex.body.items.some((e: AuditEntry) => e.data.orderId === order.id)).toBe(false);
  });

  it("is for tenant admins only: a tenant user gets 403 problem+json", async () => {
    for (const path of ["/audit", "/audit/export"]) {
      const res = await api("GET", path, { as: ACME_USER });
      expect(res.status).toBe(403);
      expect(res.headers.get("content-type")).toContain(PROBLEM);
    }
  });

  it("keeps one entry per event id when the same event is delivered twice", async () => {
    const event = contractEvent("acme");
    const { eventId } = JSON.parse(event.Detail);
    await eventBridge.send(new PutEventsCommand({ Entries: [event] }));
    await eventBridge.send(new PutEventsCommand({ Entries: [event] }));
    await auditUntil(ACME_ADMIN, (all) => all.some((e) => e.eventId === eventId));
    // Give the second delivery time to arrive and be consumed.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const items = await auditUntil(ACME_ADMIN, () => true);
    expect(items.filter((e) => e.eventId === eventId)).toHaveLength(1);
  });

  it("takes in the control plane's tenant lifecycle events", async () => {
    const controlPlane = createEventPublisher({
      busName,
      source: "tenantkit.tenants",
      client: eventBridge,
    });
    const published = await controlPlane.publish({
      tenantId: "globex",
      type: "TenantTierChanged",
      data: { to: "premium" },
    });
    const items = await auditUntil(GLOBEX_ADMIN, (all) => all.some((e) => e.eventId === published.eventId));
    expect(items.find((e) => e.eventId === published.eventId)).toMatchObject({
      type: "TenantTierChanged",
      source: "tenantkit.tenants",
    });
  });

  it("records a lifecycle event with the correlation id of the request that caused it (public sign-up)", async () => {
    const correlationId = `e2e-sign-up-${crypto.randomUUID()}`;
    const slug = `audited-${crypto.randomUUID().slice(0, 8)}`;
    const register = () =>
      fetch(`${stack.url}/registrations`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Correlation-Id": correlationId },
        body: JSON.stringify({ name: slug, adminEmail: `admin@${slug}.test` }),
      });
    let res = await register();
    // the sign-up throttle is shared with other suites: wait as a well-behaved client would
    for (let tries = 0; res.status === 429 && tries < 10; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 1000 * Number(res.headers.get("retry-after") ?? 1)));
      res = await register();
    }
    expect(res.status).toBe(201);
    expect(res.headers.get("x-correlation-id")).toBe(correlationId);
    const { tenantId } = (await res.json()) as { tenantId: string };

    // The new tenant's admin has no password yet: its audit partition is read straight from the table.
    const table = DynamoDBDocumentClient.from(dynamodb);
    const deadline = Date.now() + 20_000;
    let entries: Record<string, unknown>[] = [];
    while (Date.now() < deadline) {
      const { Items = [] } = await table.send(
        new QueryCommand({
          TableName: `${LOCAL_STACK_NAME}-audit`,
          KeyConditionExpression: "tenantId = :t",
          ExpressionAttributeValues: { ":t": tenantId },
        }),
      );
      entries = Items;
      if (entries.some((e) => e.type === "TenantOnboarded")) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const onboarded = entries.find((e) => e.type === "TenantOnboarded");
    expect(onboarded).toMatchObject({ source: "tenantkit.tenants", correlationId });
    // A sign-up is nobody's request: no user caused it.
    expect(onboarded).not.toHaveProperty("userId");
  });

  it("pages newest first, and streams the export to tiers that have it (premium yes, basic 403)", async () => {
    const base = Date.now();
    const events = Array.from({ length: 5 }, (_, i) =>
      contractEvent("globex", crypto.randomUUID(), new Date(base + 60_000 + i * 1000).toISOString()),
    );
    await eventBridge.send(new PutEventsCommand({ Entries: events }));
    const ids = events.map((e) => JSON.parse(e.Detail).eventId as string);
    await auditUntil(GLOBEX_ADMIN, (all) => ids.every((id) => all.some((e) => e.eventId === id)));

    const seen: AuditEntry[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 3; page++) {
      const res = await api("GET", `/audit?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { as: GLOBEX_ADMIN });
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
    }
    expect(seen.slice(0, 5).map((e) => e.eventId)).toEqual([...ids].reverse());
    const times = seen.map((e) => e.occurredAt);
    expect(times).toEqual([...times].sort().reverse());

    const exported = await api("GET", "/audit/export", { as: GLOBEX_ADMIN });
    expect(exported.status).toBe(200);
    expect(exported.headers.get("content-type")).toContain("application/x-ndjson");
    const lines = ndjsonLines(exported.body).map((line) => line.eventId);
    expect(lines.slice(0, 5)).toEqual([...ids].reverse());

    const basic = await api("GET", "/audit/export", { as: ACME_ADMIN });
    expect(basic.status).toBe(403);
    expect(basic.headers.get("content-type")).toContain(PROBLEM);
  });

  it("sends a poison message to the dead-letter queue after maxReceiveCount receives, not into endless retries", async () => {
    const queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: `${LOCAL_STACK_NAME}-AuditQueue` }))).QueueUrl;
    const dlqUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: `${LOCAL_STACK_NAME}-AuditDeadLetterQueue` })))
      .QueueUrl;
    const depth = async (QueueUrl: string | undefined) => {
      const names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] as const;
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: [...names] }),
      );
      return names.reduce((sum, name) => sum + Number(Attributes[name] ?? 0), 0);
    };
    // The template's 180 s visibility timeout would make three receives take nine minutes: shorten it
    // for this test. Long polls already waiting keep the old value, so let them end first (2 s).
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { VisibilityTimeout: "1" } }));
    try {
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      await sqs.send(new PurgeQueueCommand({ QueueUrl: dlqUrl }));
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"this is":"not an event"}' }));
      const deadline = Date.now() + 20_000;
      while ((await depth(dlqUrl)) < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect(await depth(dlqUrl)).toBe(1);
      expect(await depth(queueUrl)).toBe(0);
    } finally {
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { VisibilityTimeout: "180" } }));
    }
  });
});
