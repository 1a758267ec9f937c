import type { SQSEvent, SQSRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import type { TenantDataSource } from "../data/tenant-data.ts";
import type { TenantTable } from "../data/tenant-scoped-table.ts";
import { TenantIsolationError } from "../http/errors.ts";
import { activeTenantRegistry, captureOutput } from "../testing/index.ts";
import type { TenantEvent } from "./tenant-event.ts";
import { createTenantEventConsumer } from "./tenant-event-consumer.ts";

const envelope = (tenantId: string, eventId: string, detail: Record<string, unknown> = {}) => ({
  version: "0",
  id: crypto.randomUUID(),
  "detail-type": "OrderPlaced",
  source: "tenantkit.orders",
  detail: { eventId, tenantId, correlationId: "c-1", occurredAt: "2026-03-01T10:00:00.000Z", data: {}, ...detail },
});

const record = (messageId: string, body: unknown): SQSRecord => ({
  messageId,
  receiptHandle: `rh-${messageId}`,
  body: typeof body === "string" ? body : JSON.stringify(body),
  attributes: {
    ApproximateReceiveCount: "1",
    SentTimestamp: "0",
    SenderId: "events",
    ApproximateFirstReceiveTimestamp: "0",
  },
  messageAttributes: {},
  md5OfBody: "",
  eventSource: "aws:sqs",
  eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:audit",
  awsRegion: "us-east-1",
});

/** Tables that only say whose they are. */
const dataSource: TenantDataSource = {
  forTenant: (tenantId, dedicated) => ({
    table: (name) => ({ tableName: dedicated?.[name] ?? name, tenantId }) as TenantTable,
  }),
};

describe("the tenant event consumer", () => {
  it("hands each event to the handler with the event's tenant's tables, and reports only failed messages", async () => {
    const seen: { event: TenantEvent; tenant: string; table: string }[] = [];
    const failingEvent = crypto.randomUUID();
    const consume = createTenantEventConsumer(
      {
        dataSource,
        registry: {
          get: async (tenantId) =>
            tenantId === "silo"
              ? {
                  tenantId,
                  name: "",
                  tier: "enterprise",
                  status: "ACTIVE",
                  createdAt: "",
                  updatedAt: "",
                  tables: { audit: "silo-audit" },
                }
              : undefined,
        },
      },
      async (event, { data }) => {
        if (event.eventId === failingEvent) throw new Error("database hiccup");
        const audit = data.table("audit");
        seen.push({ event, tenant: audit.tenantId, table: audit.tableName });
      },
    );
    const acmeEvent = crypto.randomUUID();
    const siloEvent = crypto.randomUUID();
    const batch: SQSEvent = {
      Records: [
        record("m1", envelope("acme", acmeEvent)),
        record("m2", "not json"),
        record("m3", envelope("globex", failingEvent)),
        record("m4", envelope("silo", siloEvent)),
        record("m5", { ...envelope("acme", crypto.randomUUID()), source: "somebody.else" }),
      ],
    };

    const response = await consume(batch);

    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(["m2", "m3", "m5"]);
    expect(seen.map((s) => [s.event.eventId, s.tenant, s.table])).toEqual(
      expect.arrayContaining([
        [acmeEvent, "acme", "audit"],
        [siloEvent, "silo", "silo-audit"],
      ]),
    );
    expect(seen).toHaveLength(2);
  });

  it("reports every message of a batch that fails entirely, rather than failing the invocation", async () => {
    const consume = createTenantEventConsumer({ dataSource, registry: { get: async () => undefined } }, async () => {
      throw new Error("down");
    });
    const response = await consume({ Records: [record("a", envelope("acme", crypto.randomUUID()))] });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "a" }]);
  });

  it("logs with the keys of a request's lines: the event's tenant, its tier, the user who caused it, its correlation id", async () => {
    const output = captureOutput();
    try {
      const consume = createTenantEventConsumer(
        { dataSource, registry: activeTenantRegistry({ tier: "premium" }) },
        async (_event, { logger }) => logger.info("audit entry recorded"),
      );
      await consume({ Records: [record("k", envelope("acme", crypto.randomUUID(), { userId: "user-3" }))] });
    } finally {
      output.restore();
    }
    expect(output.lines().find((line) => line.message === "audit entry recorded")).toMatchObject({
      tenant_id: "acme",
      tier: "premium",
      user_id: "user-3",
      correlation_id: "c-1",
    });
  });

  it("logs the tier `none` for a tenant no longer in the registry (its TenantOffboarded, say)", async () => {
    const output = captureOutput();
    try {
      const consume = createTenantEventConsumer(
        { dataSource, registry: { get: async () => undefined } },
        async (_event, { logger }) => logger.info("audit entry recorded"),
      );
      await consume({ Records: [record("g", envelope("gone", crypto.randomUUID()))] });
    } finally {
      output.restore();
    }
    expect(output.lines().find((line) => line.message === "audit entry recorded")).toMatchObject({
      tenant_id: "gone",
      tier: "none",
    });
  });

  it("logs an isolation violation while handling an event as a security event, with its reason", async () => {
    const output = captureOutput();
    try {
      const consume = createTenantEventConsumer({ dataSource, registry: { get: async () => undefined } }, async () => {
        throw new TenantIsolationError("item of tenant globex read for acme");
      });
      const response = await consume({ Records: [record("v", envelope("acme", crypto.randomUUID()))] });
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: "v" }]);
    } finally {
      output.restore();
    }
    const events = output.lines().filter((line) => line.security_event === "tenant_isolation");
    expect(events).toEqual([
      expect.objectContaining({
        level: "CRITICAL",
        tenant_id: "acme",
        message_id: "v",
        violation: "item of tenant globex read for acme",
      }),
    ]);
  });
});
