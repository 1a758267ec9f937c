import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureOutput } from "../testing/index.ts";
import { createOutboxSweeper, type OutboxRecord } from "./event-outbox.ts";
import type { EventEntry } from "./event-publisher.ts";

const entry = (tenantId: string, eventId: string): EventEntry => ({
  EventBusName: "bus",
  Source: "tenantkit.orders",
  DetailType: "OrderPlaced",
  Detail: JSON.stringify({ eventId, tenantId, correlationId: "c-1", occurredAt: "2026-03-01T10:00:00.000Z", data: {} }),
});

const record = (tenantId: string, eventId: string, speaksFor = tenantId): OutboxRecord => ({
  tenantId,
  eventId,
  entry: entry(speaksFor, eventId),
  createdAt: "2026-03-01T10:00:00.000Z",
  shard: "0",
});

/** An outbox whose index holds `records` in shard 0, and which notes what is deleted. */
function outboxWith(records: OutboxRecord[]) {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
  const deleted: unknown[] = [];
  vi.spyOn(client, "send").mockImplementation(async (command: unknown) => {
    if (command instanceof QueryCommand) {
      return { Items: command.input.ExpressionAttributeValues?.[":shard"] === "0" ? records : [] };
    }
    if (command instanceof DeleteCommand) deleted.push(command.input.Key);
    return {};
  });
  return { client, deleted };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the outbox sweeper", () => {
  it("never sends a record that speaks for another tenant than its partition's, and logs it as a security event", async () => {
    const output = captureOutput();
    const { client, deleted } = outboxWith([record("acme", "e-1"), record("acme", "e-2", "globex")]);
    const sent: EventEntry[] = [];
    const sweeper = createOutboxSweeper({
      tableName: "outbox",
      client,
      sender: { send: async (entries) => void sent.push(...entries) },
      olderThanSeconds: 0,
    });

    const result = await sweeper.sweep().finally(output.restore);

    expect(result).toEqual({ published: 1, failed: 1 });
    expect(sent.map((e) => JSON.parse(e.Detail).eventId)).toEqual(["e-1"]);
    expect(deleted).toEqual([{ tenantId: "acme", eventId: "e-1" }]);
    const events = output.lines().filter((line) => line.security_event === "tenant_isolation");
    expect(events).toEqual([
      expect.objectContaining({ level: "CRITICAL", event_id: "e-2", violation: expect.stringContaining("globex") }),
    ]);
  });

  it("goes on past a record it published but could not remove, and past a shard it could not read", async () => {
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
    const shardRecord = (shard: string, eventId: string) => ({ ...record("acme", eventId), shard });
    const deleted: unknown[] = [];
    vi.spyOn(client, "send").mockImplementation(async (command: unknown) => {
      if (command instanceof QueryCommand) {
        const shard = command.input.ExpressionAttributeValues?.[":shard"];
        if (shard === "1") throw throttled;
        return {
          Items:
            shard === "0"
              ? [shardRecord("0", "e-1"), shardRecord("0", "e-2")]
              : shard === "5"
                ? [shardRecord("5", "e-5")]
                : [],
        };
      }
      if (command instanceof DeleteCommand) {
        if (command.input.Key?.eventId === "e-1") throw throttled;
        deleted.push(command.input.Key?.eventId);
      }
      return {};
    });
    const sent: string[] = [];
    const sweeper = createOutboxSweeper({
      tableName: "outbox",
      client,
      sender: { send: async (entries) => void sent.push(...entries.map((e) => JSON.parse(e.Detail).eventId)) },
      olderThanSeconds: 0,
    });
    const output = captureOutput();

    await expect(sweeper.sweep().finally(output.restore)).rejects.toBe(throttled);

    // Shards after the one that failed were swept; the record not removed is published again later.
    expect(sent).toEqual(["e-1", "e-2", "e-5"]);
    expect(deleted).toEqual(["e-2", "e-5"]);
    expect(output.lines().map((line) => line.message)).toEqual(
      expect.arrayContaining([
        "outbox sweep: event published but not removed",
        "outbox sweep: a shard could not be swept",
      ]),
    );
  });
});
