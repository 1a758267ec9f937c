import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import type { TenantDataSource } from "../data/tenant-data.ts";
import type { TenantTable } from "../data/tenant-scoped-table.ts";
import { TenantIsolationError } from "../http/errors.ts";
import type { TenantRecord } from "../registry/tenant-registry.ts";
import { activeTenantRegistry, captureOutput, tenantRecord } from "../testing/index.ts";
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
            tenantRecord({
              tenantId,
              ...(tenantId === "silo" && { tier: "enterprise", tables: { audit: "silo-audit" } }),
            }),
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
    const consume = createTenantEventConsumer({ dataSource, registry: activeTenantRegistry() }, async () => {
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

  it("drops the events of a tenant gone or leaving, and those older than their tenant, counting them", async () => {
    const handled: string[] = [];
    const records: Record<string, TenantRecord> = {
      leaving: tenantRecord({ tenantId: "leaving", status: "OFFBOARDING" }),
      // A new tenant that took an offboarded tenant's id after the event occurred.
      reused: tenantRecord({ tenantId: "reused", createdAt: "2026-03-01T10:00:02.000Z" }),
      // Within the clocks' second of tolerance.
      "just-created": tenantRecord({ tenantId: "just-created", createdAt: "2026-03-01T10:00:01.000Z" }),
    };
    const output = captureOutput();
    let response: SQSBatchResponse;
    try {
      const consume = createTenantEventConsumer(
        { dataSource, registry: { get: async (tenantId) => records[tenantId] } },
        async (event) => {
          handled.push(event.tenantId);
        },
      );
      response = await consume({
        Records: ["gone", "leaving", "reused", "just-created"].map((tenantId) =>
          record(tenantId, envelope(tenantId, crypto.randomUUID())),
        ),
      });
    } finally {
      output.restore();
    }

    expect(response.batchItemFailures).toEqual([]);
    expect(handled).toEqual(["just-created"]);
    expect(output.lines().filter((line) => line.message === "event dropped")).toEqual([
      expect.objectContaining({ tenant_id: "gone", tier: "none", reason: "its tenant is not in the registry" }),
      expect.objectContaining({ tenant_id: "leaving", reason: "its tenant is being offboarded" }),
      expect.objectContaining({ tenant_id: "reused", reason: "it occurred before its tenant was created" }),
    ]);
    expect(output.lines().find((line) => line._aws)).toMatchObject({ EventsDropped: 3, EventsProcessed: 1 });
  });

  it("drops an event only on a fresh read of its tenant's record, not on a cached copy from before a new tenant took the id", async () => {
    const cached = new Map<string, TenantRecord | undefined>([["reused", undefined]]);
    const current = tenantRecord({ tenantId: "reused", createdAt: "2026-03-01T09:00:00.000Z" });
    const handled: string[] = [];
    const output = captureOutput();
    try {
      const consume = createTenantEventConsumer(
        {
          dataSource,
          registry: { get: async (tenantId, options) => (options?.fresh ? current : cached.get(tenantId)) },
        },
        async (event) => {
          handled.push(event.tenantId);
        },
      );
      await consume({ Records: [record("r", envelope("reused", crypto.randomUUID()))] });
    } finally {
      output.restore();
    }
    expect(handled).toEqual(["reused"]);
  });

  it("defers the events of a tenant being onboarded or migrated: they fail their delivery and come again", async () => {
    let handled = 0;
    const output = captureOutput();
    let response: SQSBatchResponse;
    try {
      const consume = createTenantEventConsumer(
        {
          dataSource,
          registry: {
            get: async (tenantId) => tenantRecord({ tenantId, status: tenantId === "new" ? "PENDING" : "MIGRATING" }),
          },
        },
        async () => {
          handled += 1;
        },
      );
      response = await consume({
        Records: [
          record("p", envelope("new", crypto.randomUUID())),
          record("m", envelope("moving", crypto.randomUUID())),
        ],
      });
    } finally {
      output.restore();
    }

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "p" }, { itemIdentifier: "m" }]);
    expect(handled).toBe(0);
    expect(output.lines().filter((line) => line.message === "event deferred; it will be delivered again")).toEqual([
      expect.objectContaining({ tenant_id: "new", level: "INFO", reason: "its tenant is PENDING" }),
      expect.objectContaining({ tenant_id: "moving", level: "INFO", reason: "its tenant is MIGRATING" }),
    ]);
  });

  it("logs an isolation violation while handling an event as a security event, with its reason", async () => {
    const output = captureOutput();
    try {
      const consume = createTenantEventConsumer({ dataSource, registry: activeTenantRegistry() }, async () => {
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
