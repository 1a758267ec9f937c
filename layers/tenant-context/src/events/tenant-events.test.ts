import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { TenantDataSource } from "../data/tenant-data.ts";
import type { TenantTable } from "../data/tenant-scoped-table.ts";
import { handleError, type TenantEnv, tenantContext } from "../http/tenant-context.ts";
import { activeTenantRegistry, captureOutput, refusingVerifier } from "../testing/index.ts";
import { createEventPublisher, type EventEntry, EventPublishError, type EventSender } from "./event-publisher.ts";

/** A sender that keeps what it was given, or fails every time. */
function recordingSender(fails = false) {
  const sent: EventEntry[] = [];
  const sender: EventSender = {
    async send(entries) {
      if (fails) throw new EventPublishError(entries, "EventBridge is down");
      sent.push(...entries);
    },
  };
  return { sender, sent };
}

/** A tenant's outbox table that only counts deletes. */
function fakeOutbox(tenantId: string) {
  const deleted: unknown[] = [];
  const table = {
    tableName: "outbox",
    tenantId,
    delete: async (key: unknown) => {
      deleted.push(key);
      return undefined;
    },
  } as unknown as TenantTable;
  return { table, deleted };
}

function appWith(sender: EventSender, outboxes: Map<string, ReturnType<typeof fakeOutbox>>) {
  const dataSource: TenantDataSource = {
    forTenant: (tenantId) => ({
      table: (name) => {
        if (name !== "outbox") throw new Error(`unexpected table ${name}`);
        const outbox = fakeOutbox(tenantId);
        outboxes.set(tenantId, outbox);
        return outbox.table;
      },
    }),
  };
  const app = new Hono<TenantEnv>();
  app.use(
    tenantContext({
      dataSource,
      metering: false,
      verifier: refusingVerifier(),
      registry: activeTenantRegistry(),
      events: {
        publisher: createEventPublisher({ busName: "bus", source: "tenantkit.orders", sender }),
        outboxTable: "outbox",
      },
    }),
  );
  app.onError(handleError);
  app.post("/publish", async (c) => c.json(await c.var.events.publish("OrderPlaced", { orderId: "o-1" })));
  app.post("/stage", async (c) => {
    const staged = c.var.events.stage("OrderPlaced", { orderId: "o-2" });
    return c.json({
      write: staged.write.table.tenantId,
      put: "put" in staged.write && staged.write.put,
      published: await staged.publish(),
    });
  });
  return app;
}

const as = (tenantId: string) => ({
  event: {
    requestContext: { requestId: "req-9", authorizer: { tenantId, tier: "basic", userId: "u", roles: "tenant-user" } },
  },
});

describe("c.var.events", () => {
  it("publishes with the caller's tenant and user and the request's correlation id", async () => {
    const { sender, sent } = recordingSender();
    const app = appWith(sender, new Map());
    const res = await app.request(
      "/publish",
      { method: "POST", headers: { "X-Correlation-Id": "corr-42" } },
      as("acme"),
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(sent[0]?.Detail ?? "{}")).toMatchObject({
      tenantId: "acme",
      correlationId: "corr-42",
      userId: "u",
    });
  });

  it("stages an event in the caller's outbox, then publishes it and removes the record", async () => {
    const { sender, sent } = recordingSender();
    const outboxes = new Map<string, ReturnType<typeof fakeOutbox>>();
    const res = await appWith(sender, outboxes).request("/stage", { method: "POST" }, as("globex"));
    const body = await res.json();
    expect(body.write).toBe("globex");
    expect(body.put).toMatchObject({
      eventId: expect.any(String),
      entry: sent[0],
      shard: expect.stringMatching(/^[0-7]$/),
    });
    expect(body.published).toBe(true);
    expect(outboxes.get("globex")?.deleted).toEqual([{ eventId: body.put.eventId }]);
  });

  it("keeps the outbox record for the sweeper when publishing fails, without failing the request", async () => {
    const { sender } = recordingSender(true);
    const outboxes = new Map<string, ReturnType<typeof fakeOutbox>>();
    const output = captureOutput();
    try {
      const res = await appWith(sender, outboxes).request("/stage", { method: "POST" }, as("acme"));
      expect(res.status).toBe(200);
      expect((await res.json()).published).toBe(false);
    } finally {
      output.restore();
    }
    expect(outboxes.get("acme")?.deleted).toEqual([]);
    // The warning says what failed, without the event's business data.
    expect(output.text()).toContain("event not published");
    expect(output.text()).not.toContain("o-2");
  });

  it("says so when a service that declared no events tries to publish", async () => {
    const app = new Hono<TenantEnv>();
    app.use(
      tenantContext({
        dataSource: { forTenant: () => ({ table: () => ({}) as TenantTable }) },
        metering: false,
        registry: activeTenantRegistry(),
      }),
    );
    let message = "";
    app.post("/publish", async (c) => {
      await c.var.events.publish("OrderPlaced", {}).catch((e: Error) => {
        message = e.message;
      });
      return c.body(null, 204);
    });
    await app.request("/publish", { method: "POST" }, as("acme"));
    expect(message).toMatch(/publishes no events/);
  });
});
