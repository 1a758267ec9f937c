import { describe, expect, it } from "vitest";
import { MalformedEventError, readTenantEvent } from "./tenant-event.ts";

/** An event as EventBridge hands it to a target (the body of the SQS message). */
const delivered = (detail: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}) => ({
  version: "0",
  id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "OrderPlaced",
  source: "tenantkit.orders",
  account: "123456789012",
  time: "2026-03-01T10:00:00Z",
  region: "us-east-1",
  resources: [],
  detail: {
    eventId: "0b6c1c55-2f1e-4a8e-9d43-7f3f0e7d2c11",
    tenantId: "acme",
    correlationId: "req-1",
    occurredAt: "2026-03-01T10:00:00Z",
    data: { orderId: "o-1" },
    ...detail,
  },
  ...envelope,
});

describe("reading an event against the contract", () => {
  it("returns the event with its name, source and a normalised time", () => {
    expect(readTenantEvent(delivered())).toEqual({
      type: "OrderPlaced",
      source: "tenantkit.orders",
      eventId: "0b6c1c55-2f1e-4a8e-9d43-7f3f0e7d2c11",
      tenantId: "acme",
      correlationId: "req-1",
      occurredAt: "2026-03-01T10:00:00.000Z",
      data: { orderId: "o-1" },
    });
  });

  it("keeps the user whose request caused the event", () => {
    expect(readTenantEvent(delivered({ userId: "5f0c2a9e-user" }))).toMatchObject({ userId: "5f0c2a9e-user" });
    expect(readTenantEvent(delivered())).not.toHaveProperty("userId");
  });

  it("accepts the control plane's events", () => {
    const event = readTenantEvent(delivered({}, { source: "tenantkit.tenants", "detail-type": "TenantOffboarded" }));
    expect(event).toMatchObject({ source: "tenantkit.tenants", type: "TenantOffboarded" });
  });

  it.each([
    ["a non-object", "garbage"],
    ["another source", delivered({}, { source: "aws.s3" })],
    ["a bad event name", delivered({}, { "detail-type": "order placed" })],
    ["no detail", delivered({}, { detail: null })],
    ["an event id that is not a UUID", delivered({ eventId: "1" })],
    ["a tenant id that is not one", delivered({ tenantId: "../globex" })],
    ["no tenant id", delivered({ tenantId: undefined })],
    ["a bad correlation id", delivered({ correlationId: "a b" })],
    ["a user id that is not a string", delivered({ userId: 42 })],
    ["an empty user id", delivered({ userId: "" })],
    ["a user id with a line break", delivered({ userId: "u-1\nforged log line" })],
    ["a user id longer than 128 characters", delivered({ userId: "u".repeat(129) })],
    ["a user id with a C1 control character", delivered({ userId: "u\u0085" })],
    ["a user id with a line separator", delivered({ userId: "u\u2028forged" })],
    ["a user id with a bidirectional override", delivered({ userId: "\u202eevil" })],
    ["a user id with a lone surrogate", delivered({ userId: "\ud800" })],
    ["a time that is not ISO 8601", delivered({ occurredAt: "yesterday" })],
    ["data that is not an object", delivered({ data: [1, 2] })],
  ])("refuses %s", (_, envelope) => {
    expect(() => readTenantEvent(envelope)).toThrow(MalformedEventError);
  });
});
