import { type AddressInfo, createServer, type Socket } from "node:net";
import type { PutEventsCommand, PutEventsCommandOutput } from "@aws-sdk/client-eventbridge";
import { describe, expect, it, vi } from "vitest";
import {
  createEventPublisher,
  createEventSender,
  EventPublishError,
  MAX_EVENT_BYTES,
  type PutEventsClient,
} from "./event-publisher.ts";

type Answer = PutEventsCommandOutput | Error;

/** An EventBridge client that records each call and answers from a script (then accepts everything). */
function scriptedEventBridge(...answers: Answer[]) {
  const calls: PutEventsCommand["input"][] = [];
  const client: PutEventsClient = {
    async send(command) {
      calls.push(command.input);
      const answer = answers.shift();
      if (answer instanceof Error) throw answer;
      if (answer) return answer;
      const entries = command.input.Entries ?? [];
      return { $metadata: {}, FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `id-${i}` })) };
    },
  };
  return { client, calls };
}

const refuseSecond: PutEventsCommandOutput = {
  $metadata: {},
  FailedEntryCount: 1,
  Entries: [{ EventId: "ok" }, { ErrorCode: "ThrottlingException", ErrorMessage: "slow down" }],
};

const publisherWith = (client: PutEventsClient, maxAttempts = 3) =>
  createEventPublisher({ busName: "bus", source: "tenantkit.orders", client, maxAttempts, baseDelayMs: 0 });

describe("the event publisher", () => {
  it("sends the contract: source, event name, and a detail with event id, tenant, correlation id and time", async () => {
    const { client, calls } = scriptedEventBridge();
    const occurredAt = new Date("2026-03-01T10:00:00Z");
    const detail = await publisherWith(client).publish({
      tenantId: "acme",
      type: "OrderPlaced",
      data: { orderId: "o-1" },
      correlationId: "req-1",
      occurredAt,
    });

    expect(calls).toHaveLength(1);
    const [entry] = calls[0]?.Entries ?? [];
    expect(entry).toMatchObject({ EventBusName: "bus", Source: "tenantkit.orders", DetailType: "OrderPlaced" });
    expect(JSON.parse(entry?.Detail ?? "")).toEqual({
      eventId: detail.eventId,
      tenantId: "acme",
      correlationId: "req-1",
      occurredAt: "2026-03-01T10:00:00.000Z",
      data: { orderId: "o-1" },
    });
    expect(detail.eventId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("names the user whose request caused the event, when one did", async () => {
    const publisher = publisherWith(scriptedEventBridge().client);
    const caused = await publisher.publish({ tenantId: "acme", type: "OrderPlaced", data: {}, userId: "user-7" });
    expect(caused.userId).toBe("user-7");
    expect(await publisher.publish({ tenantId: "acme", type: "TenantOnboarded", data: {} })).not.toHaveProperty(
      "userId",
    );
    await expect(
      publisher.publish({ tenantId: "acme", type: "OrderPlaced", data: {}, userId: "user\r\n" }),
    ).rejects.toThrow(/not a user id/);
  });

  it("gives each event a new id, and uses it as correlation id when none is given", async () => {
    const publisher = publisherWith(scriptedEventBridge().client);
    const first = await publisher.publish({ tenantId: "acme", type: "TenantOnboarded", data: {} });
    const second = await publisher.publish({ tenantId: "acme", type: "TenantOnboarded", data: {} });
    expect(first.eventId).not.toBe(second.eventId);
    expect(first.correlationId).toBe(first.eventId);
  });

  it("retries only the entries EventBridge refused", async () => {
    const { client, calls } = scriptedEventBridge(refuseSecond);
    const publisher = publisherWith(client);
    const entries = ["A", "B"].map(
      (name) => publisher.prepare({ tenantId: "acme", type: "OrderPlaced", data: { name } }).entry,
    );
    await publisher.send(entries);
    expect(calls.map((call) => call.Entries?.length)).toEqual([2, 1]);
    expect(calls[1]?.Entries?.[0]).toEqual(entries[1]);
  });

  it("retries a call that failed, and fails naming the unsent events once the attempts are spent", async () => {
    const outage = Object.assign(new Error("connect ECONNREFUSED"), { name: "ECONNREFUSED" });
    const { client, calls } = scriptedEventBridge(outage, outage, outage);
    const publisher = publisherWith(client, 3);
    const error = await publisher.publish({ tenantId: "acme", type: "OrderPlaced", data: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventPublishError);
    expect((error as EventPublishError).failed).toHaveLength(1);
    expect(calls).toHaveLength(3);
  });

  it("recovers when a retry gets through", async () => {
    const { client, calls } = scriptedEventBridge(new Error("socket hang up"));
    await publisherWith(client).publish({ tenantId: "acme", type: "OrderPlaced", data: {} });
    expect(calls).toHaveLength(2);
  });

  it("gives up on an EventBridge that never answers, after its tries, instead of holding the request", async () => {
    // A server that takes the connection and never answers, as EventBridge does in a brownout.
    const sockets: Socket[] = [];
    const server = createServer((socket) => {
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    vi.stubEnv("AWS_ENDPOINT_URL_EVENTBRIDGE", `http://127.0.0.1:${port}`);
    vi.stubEnv("AWS_REGION", "us-east-1");
    vi.stubEnv("AWS_ACCESS_KEY_ID", "test");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "test");
    try {
      const publisher = createEventPublisher({ busName: "bus", source: "tenantkit.orders", baseDelayMs: 0 });
      await expect(
        publisher.publish({ tenantId: "acme", type: "OrderPlaced", data: { orderId: "o-1" } }),
      ).rejects.toBeInstanceOf(EventPublishError);
      expect(sockets.length).toBeGreaterThanOrEqual(4);
    } finally {
      vi.unstubAllEnvs();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 20_000);

  it("sends at most 256 KB per call, as EventBridge takes no more in one", async () => {
    const { client, calls } = scriptedEventBridge();
    const sender = createEventSender({ client, baseDelayMs: 0 });
    const entry = (i: number) => ({
      EventBusName: "bus",
      Source: "tenantkit.orders",
      DetailType: "OrderPlaced",
      Detail: JSON.stringify({ i, padding: "x".repeat(30 * 1024) }),
    });

    await sender.send(Array.from({ length: 12 }, (_, i) => entry(i)));

    const bytes = (entries: { Detail?: string }[]) =>
      entries.reduce((sum, e) => sum + Buffer.byteLength(e.Detail ?? "") + 40, 0);
    expect(calls.map((call) => call.Entries?.length)).toEqual([8, 4]);
    for (const call of calls) expect(bytes(call.Entries ?? [])).toBeLessThanOrEqual(MAX_EVENT_BYTES);
  });

  it("sends at most 10 entries per call", async () => {
    const { client, calls } = scriptedEventBridge();
    const publisher = publisherWith(client);
    const entries = Array.from(
      { length: 23 },
      (_, i) => publisher.prepare({ tenantId: "acme", type: "OrderPlaced", data: { i } }).entry,
    );
    await publisher.send(entries);
    expect(calls.map((call) => call.Entries?.length)).toEqual([10, 10, 3]);
  });

  it("refuses, before sending anything, an event that breaks the contract or EventBridge's size limit", async () => {
    const { client, calls } = scriptedEventBridge();
    const publisher = publisherWith(client);
    await expect(publisher.publish({ tenantId: "Not A Tenant", type: "OrderPlaced", data: {} })).rejects.toThrow(
      /not a tenant id/,
    );
    await expect(publisher.publish({ tenantId: "acme", type: "order placed", data: {} })).rejects.toThrow(/PascalCase/);
    await expect(
      publisher.publish({ tenantId: "acme", type: "OrderPlaced", data: { blob: "x".repeat(MAX_EVENT_BYTES) } }),
    ).rejects.toBeInstanceOf(EventPublishError);
    expect(() => createEventPublisher({ busName: "bus", source: "orders", client })).not.toThrow();
    await expect(
      createEventPublisher({ busName: "bus", source: "orders", client }).publish({
        tenantId: "acme",
        type: "OrderPlaced",
        data: {},
      }),
    ).rejects.toThrow(/tenantkit\.<service>/);
    expect(calls).toHaveLength(0);
  });

  it("fails at creation naming the missing environment variable", () => {
    const saved = process.env.EVENT_BUS_NAME;
    delete process.env.EVENT_BUS_NAME;
    try {
      expect(() => createEventPublisher({ source: "tenantkit.orders" })).toThrow(/EVENT_BUS_NAME/);
    } finally {
      if (saved !== undefined) process.env.EVENT_BUS_NAME = saved;
    }
  });
});
