import { Writable } from "node:stream";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, Context as LambdaContext } from "aws-lambda";
import { Hono } from "hono";
import { streamHandle } from "hono/aws-lambda";
import { stream } from "hono/streaming";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { TenantSecretsSource } from "../config/tenant-secrets.ts";
import { createTenantDataSource, type TenantDataSource } from "../data/tenant-data.ts";
import { ConditionFailedError, type TenantTable } from "../data/tenant-scoped-table.ts";
import { logger } from "../observability/logger.ts";
import { MetricUnit, NO_TIER } from "../observability/metrics.ts";
import {
  activeTenantRegistry,
  type CapturedOutput,
  captureOutput,
  fixedAppConfig,
  refusingVerifier,
  restProxyEvent,
  testUserPool,
} from "../testing/index.ts";
import { UnauthorizedError } from "./errors.ts";
// The services' buffered handler; hono's streaming adapter is compared with the layer's below.
import { handle, streamHandle as layerStreamHandle } from "./lambda-handlers.ts";
import { ndjsonResponse } from "./ndjson.ts";
import {
  handleError,
  handleNotFound,
  publicRequestContext,
  requireRole,
  settleAbandonedStream,
  type TenantEnv,
  tenantContext,
} from "./tenant-context.ts";

// The metrics instance reads its namespace from the environment when the module loads, as on Lambda.
vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_NAMESPACE = "TenantkitUnit";
});

const SECRET_TOKEN = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJlLXRoYXQtbXVzdC1uZXZlci1iZS1sb2dnZWQ";

const noData: TenantDataSource = { forTenant: () => ({ table: () => ({}) as never }) };

function buildApp() {
  const app = new Hono<TenantEnv>();
  app.use(
    tenantContext({
      dataSource: noData,
      verifier: refusingVerifier(),
      registry: activeTenantRegistry({ tier: "premium" }),
    }),
  );
  app.onError(handleError);
  app.get("/buffered", (c) => {
    c.var.metrics.addMetric("WidgetsCounted", MetricUnit.Count, 3);
    c.var.logger.info("counting widgets");
    return c.json({ ok: true });
  });
  app.get("/streamed", (c) =>
    stream(c, async (out) => {
      for (let i = 0; i < 3; i++) {
        await out.write(`line ${i}\n`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }),
  );
  app.get("/admin-only", requireRole("tenant-admin"), (c) => c.json({ ok: true }));
  app.get("/missing", () => {
    throw new UnauthorizedError("never reached this way");
  });
  app.get("/broken", () => {
    throw new Error("the database password is hunter2");
  });
  return app;
}

const authorizerEvent = (roles = "tenant-user") => ({
  event: {
    requestContext: { requestId: "req-7", authorizer: { tenantId: "acme", tier: "premium", userId: "user-9", roles } },
  },
});

let output: CapturedOutput;

beforeEach(() => {
  output = captureOutput();
});
afterEach(() => {
  output.restore();
  vi.restoreAllMocks();
  logger.setLogLevel("INFO");
});

const jsonLines = () => output.lines();
const emf = () => jsonLines().filter((line) => line._aws);
const logs = () => jsonLines().filter((line) => !line._aws);

describe("tenantContext metrics (EMF)", () => {
  it("flushes one EMF blob per buffered request, by service and tier, with the tenant as metadata", async () => {
    const res = await buildApp().request("/buffered", {}, authorizerEvent());
    expect(res.status).toBe(200);
    await res.text(); // the Lambda adapter reads the body to build its result
    const blobs = emf();
    expect(blobs).toHaveLength(1);
    const [blob] = blobs;
    expect(blob._aws.CloudWatchMetrics[0].Dimensions).toEqual([["service", "tier"]]);
    expect(blob).toMatchObject({
      tier: "premium",
      tenantId: "acme",
      Requests: 1,
      ClientErrors: 0,
      ServerErrors: 0,
      WidgetsCounted: 3,
    });
    expect(blob._aws.CloudWatchMetrics[0].Dimensions.flat()).not.toContain("tenantId");
  });

  it("keeps a request's metrics in one blob: past 99 values of a metric, or 95 metrics, a service is refused", async () => {
    const app = buildApp();
    const refusals: string[] = [];
    const attempt = (record: () => void) => {
      try {
        record();
      } catch (error) {
        refusals.push((error as Error).message);
      }
    };
    app.get("/rows", (c) => {
      for (let row = 0; row < 150; row++) attempt(() => c.var.metrics.addMetric("RowsExported", MetricUnit.Count, 1));
      return c.text("ok");
    });
    app.get("/many", (c) => {
      for (let i = 0; i < 100; i++) attempt(() => c.var.metrics.addMetric(`Metric${i}`, MetricUnit.Count, 1));
      return c.text("ok");
    });
    await (await app.request("/rows", {}, authorizerEvent())).text();
    expect(emf()).toHaveLength(1);
    expect(emf()[0]).toMatchObject({ tier: "premium", tenantId: "acme", Requests: 1 });
    expect(emf()[0].RowsExported).toHaveLength(99);
    expect(refusals).toHaveLength(51);
    expect(refusals[0]).toMatch(/at most 99 values of 'RowsExported': add them up/);

    refusals.length = 0;
    await (await app.request("/many", {}, authorizerEvent())).text();
    expect(emf()).toHaveLength(2);
    expect(emf()[1]).toMatchObject({ tier: "premium", tenantId: "acme", Requests: 1, Metric94: 1 });
    expect(emf()[1]).not.toHaveProperty("Metric95");
    expect(refusals).toHaveLength(5);
    // The next request starts afresh.
    await (await app.request("/rows", {}, authorizerEvent())).text();
    expect(emf()[2].RowsExported).toHaveLength(99);
  });

  it("flushes a streamed request's metrics only after its body has ended", async () => {
    const res = await buildApp().request("/streamed", {}, authorizerEvent());
    expect(emf()).toHaveLength(0);
    expect(await res.text()).toBe("line 0\nline 1\nline 2\n");
    expect(emf()).toHaveLength(1);
    expect(emf()[0]).toMatchObject({ Requests: 1, tier: "premium" });
  });

  it("flushes a streamed request whose client goes away before the end, once, and keeps nothing for the next", async () => {
    const app = buildApp();
    const abandoned = await app.request("/streamed", {}, authorizerEvent());
    const reader = (abandoned.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    expect(emf()).toHaveLength(1);
    expect(emf()[0]).toMatchObject({ Requests: 1, ServerErrors: 0 });

    await (await app.request("/buffered", {}, authorizerEvent())).text();
    expect(emf()[1]).toMatchObject({ Requests: 1, WidgetsCounted: 3 });
  });

  it("publishes what a producer records while it stops for a client that went away with its own request", async () => {
    const app = buildApp();
    routeExportStoppingSlowly(app);
    const abandoned = await app.request("/export", {}, authorizerEvent());
    const reader = (abandoned.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    expect(emf()).toHaveLength(1);
    expect(emf()[0]).toMatchObject({ Requests: 1, ExportsStopped: 1, ServerErrors: 0 });

    await (await app.request("/buffered", {}, authorizerEvent())).text();
    expect(emf()[1]).not.toHaveProperty("ExportsStopped");
  });

  it("counts a streamed body that fails half way as a server error", async () => {
    const app = buildApp();
    app.get("/fails-midway", () => {
      let sent = false;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent) controller.error(new Error("the source went away"));
          else controller.enqueue(new TextEncoder().encode("first part"));
          sent = true;
        },
      });
      return new Response(body, { status: 200 });
    });
    const res = await app.request("/fails-midway", {}, authorizerEvent());
    await expect(res.text()).rejects.toThrow("the source went away");
    expect(emf()).toHaveLength(1);
    expect(emf()[0]).toMatchObject({ Requests: 1, ServerErrors: 1 });
  });

  it("refuses a service metric under a name the layer records itself, and keeps nothing of it", async () => {
    const app = buildApp();
    app.get("/own-latency", (c) => {
      c.var.metrics.addMetric("Latency", MetricUnit.Seconds, 0.25);
      return c.json({ ok: true });
    });
    const refused = await app.request("/own-latency", {}, authorizerEvent());
    expect(refused.status).toBe(500);
    await refused.text();
    await (await app.request("/buffered", {}, authorizerEvent())).text();
    expect(emf()).toHaveLength(2);
    expect(emf()[0]).toMatchObject({ Requests: 1, ServerErrors: 1 });
    expect(emf()[1]).toMatchObject({ Requests: 1, ServerErrors: 0, WidgetsCounted: 3 });
    expect(emf()[1]._aws.CloudWatchMetrics[0].Metrics).toContainEqual({ Name: "Latency", Unit: "Milliseconds" });
  });

  it("publishes the request's own metrics alone when the service's cannot be, with an error, and carries nothing over", async () => {
    const app = buildApp();
    app.get("/clashing", (c) => {
      // Powertools refuses one name as both metadata and a metric when it serializes the blob.
      c.var.metrics.addMetadata("Widgets", "blue");
      c.var.metrics.addMetric("Widgets", MetricUnit.Count, 1);
      return c.json({ ok: true });
    });
    const res = await app.request("/clashing", {}, authorizerEvent());
    expect(res.status).toBe(200);
    await res.text();
    expect(emf()).toHaveLength(1);
    expect(emf()[0]).toMatchObject({ Requests: 1, ServerErrors: 0, tenantId: "acme", tier: "premium" });
    expect(emf()[0]).not.toHaveProperty("Widgets");
    expect(logs().find((line) => line.level === "ERROR")).toMatchObject({
      message: expect.stringContaining("the service's own were dropped"),
      correlation_id: "req-7",
    });

    await (await app.request("/buffered", {}, authorizerEvent())).text();
    expect(emf()).toHaveLength(2);
    expect(emf()[1]).toMatchObject({ Requests: 1, WidgetsCounted: 3 });
    expect(emf()[1]).not.toHaveProperty("Widgets");
  });

  it("counts a 4xx as a client error", async () => {
    await (await buildApp().request("/admin-only", {}, authorizerEvent("tenant-user"))).text();
    expect(emf()[0]).toMatchObject({ ClientErrors: 1, ServerErrors: 0 });
  });

  it("counts the requests the layer refuses itself: without a tenant under tier 'none', with one under its tier", async () => {
    const app = buildApp();
    const unauthenticated = await app.request("/buffered", {}, { event: { requestContext: { requestId: "r" } } });
    expect(unauthenticated.status).toBe(401);
    await unauthenticated.text();
    expect(emf()).toHaveLength(1);
    expect(emf()[0]).toMatchObject({ tier: NO_TIER, Requests: 1, ClientErrors: 1 });
    expect(emf()[0]).not.toHaveProperty("tenantId");

    const inactive = new Hono<TenantEnv>();
    inactive.use(
      tenantContext({
        dataSource: noData,
        verifier: refusingVerifier(),
        registry: activeTenantRegistry({ tier: "premium", status: "INACTIVE" }),
      }),
    );
    inactive.get("/buffered", (c) => c.json({ ok: true }));
    const refused = await inactive.request("/buffered", {}, authorizerEvent());
    expect(refused.status).toBe(403);
    await refused.text();
    expect(emf()[1]).toMatchObject({ tier: "premium", tenantId: "acme", Requests: 1, ClientErrors: 1 });
  });
});

describe("tenantContext quota", () => {
  /** A usage table whose conditional increment succeeds, or fails as DynamoDB does past the quota. */
  function usageTable(overQuota: boolean) {
    const update = vi.fn(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      if (overQuota) throw new ConditionFailedError();
      return { requests: 1 };
    });
    return { table: { update } as unknown as TenantTable, update };
  }

  function meteredApp(overQuota: boolean) {
    const usage = usageTable(overQuota);
    const handled = vi.fn();
    const app = new Hono<TenantEnv>();
    app.use(
      tenantContext({
        dataSource: { forTenant: () => ({ table: () => usage.table }) },
        verifier: refusingVerifier(),
        registry: activeTenantRegistry({ tier: "premium", dailyQuota: 10 }),
        metering: true,
      }),
    );
    app.onError(handleError);
    app.get("/things", (c) => {
      handled();
      c.var.metrics.addMetric("ThingsListed", MetricUnit.Count, 1);
      c.var.metrics.addMetadata("thingsCursor", "none");
      c.header("Cache-Control", "max-age=60");
      return c.json({ things: [] });
    });
    app.post("/things", (c) => {
      handled();
      return c.json({ created: true }, 201);
    });
    return { app, handled, update: usage.update };
  }

  /** As `handle()` of hono/aws-lambda binds it: the whole answer is read once the app returns. */
  const buffered = { ...authorizerEvent(), lambdaContext: { awsRequestId: "req-7" } };

  it("counts against the quota of the record's tier, not one an authorizer decision cached before a tier change", async () => {
    const usage = usageTable(false);
    const app = new Hono<TenantEnv>();
    app.use(
      tenantContext({
        dataSource: { forTenant: () => ({ table: () => usage.table }) },
        verifier: refusingVerifier(),
        registry: activeTenantRegistry({ tier: "basic" }),
        config: fixedAppConfig({ tiers: { basic: { tenantDailyQuota: 5 } } }),
        metering: true,
      }),
    );
    app.post("/things", (c) => c.json({ created: true }, 201));
    const event = authorizerEvent().event;
    const premiumDecision = { ...event.requestContext.authorizer, dailyQuota: "1000000" };

    const res = await app.request(
      "/things",
      { method: "POST" },
      {
        event: { requestContext: { ...event.requestContext, authorizer: premiumDecision } },
      },
    );

    expect(res.status).toBe(201);
    expect(usage.update).toHaveBeenCalledWith(
      expect.anything(),
      expect.objectContaining({ values: expect.objectContaining({ ":quota": 5 }) }),
    );
  });

  it("counts a read while it runs, and answers it when the count allows", async () => {
    const { app, handled, update } = meteredApp(false);
    // The count completes only once the handler has run: counting first would never get there.
    let releaseCount = () => {};
    const counted = new Promise<void>((resolve) => {
      releaseCount = resolve;
    });
    update.mockImplementationOnce(async () => {
      await counted;
      return { requests: 1 };
    });
    handled.mockImplementationOnce(() => releaseCount());
    const res = await app.request("/things", {}, buffered);
    expect(res.status).toBe(200);
    expect(handled).toHaveBeenCalledOnce();
    expect(update).toHaveBeenCalledOnce();
  }, 2000);

  it("drops a read's answer for a 429 with Retry-After when the count refuses it, keeping none of its headers", async () => {
    const { app, handled } = meteredApp(true);
    const res = await app.request("/things", {}, buffered);
    expect(res.status).toBe(429);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(res.headers.get("cache-control")).toBeNull();
    expect(await res.json()).not.toHaveProperty("things");
    expect(handled).toHaveBeenCalledOnce();
    expect(emf()).toHaveLength(1);
    expect(emf()[0]).toMatchObject({ tier: "premium", ClientErrors: 1 });
    // What the dropped answer's handler recorded went with it.
    expect(emf()[0]).not.toHaveProperty("ThingsListed");
    expect(emf()[0]).not.toHaveProperty("thingsCursor");
  });

  it("counts a write before its handler: a refused write never reaches it", async () => {
    const { app, handled } = meteredApp(true);
    const res = await app.request("/things", { method: "POST" }, buffered);
    expect(res.status).toBe(429);
    expect(handled).not.toHaveBeenCalled();
  });

  it("counts a streamed read (no handle() context) before its handler, since a begun stream cannot be taken back", async () => {
    const { app, handled } = meteredApp(true);
    const res = await app.request("/things", {}, authorizerEvent());
    expect(res.status).toBe(429);
    expect(handled).not.toHaveBeenCalled();
  });
});

describe("tenantContext logs", () => {
  it("puts tenant, tier, user and correlation id on every line a service writes, to stdout and stderr", async () => {
    const app = buildApp();
    app.get("/noisy", (c) => {
      c.var.logger.info("one");
      c.var.logger.warn("two");
      c.var.logger.error("three");
      return c.text("ok");
    });
    const res = await app.request("/noisy", { headers: { "X-Correlation-Id": "corr-1" } }, authorizerEvent());
    await res.text();
    expect(logs().map((line) => line.level)).toEqual(["INFO", "WARN", "ERROR"]);
    for (const line of logs()) {
      expect(line).toMatchObject({ tenant_id: "acme", tier: "premium", user_id: "user-9", correlation_id: "corr-1" });
    }
  });

  it("names the caller the authorizer named, in the lines and metrics of a request the registry could not answer", async () => {
    const app = new Hono<TenantEnv>();
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "ProvisionedThroughputExceededException" });
    app.use(
      tenantContext({
        dataSource: noData,
        verifier: refusingVerifier(),
        registry: {
          get: async () => {
            throw throttled;
          },
        },
      }),
    );
    app.get("/things", (c) => c.text("never"));

    const res = await app.request("/things", {}, authorizerEvent());
    await res.text();

    expect(res.status).toBe(503);
    expect(logs().find((line) => line.level === "ERROR")).toMatchObject({
      tenant_id: "acme",
      tier: "premium",
      user_id: "user-9",
      correlation_id: "req-7",
    });
    expect(emf()).toEqual([expect.objectContaining({ tier: "premium", tenantId: "acme", ServerErrors: 1 })]);
  });

  it("never writes the token or the Authorization header, even at DEBUG", async () => {
    logger.setLogLevel("DEBUG");
    const res = await buildApp().request(
      "/buffered",
      { headers: { Authorization: `Bearer ${SECRET_TOKEN}` } },
      { event: { requestContext: { requestId: "r" } } },
    );
    expect(res.status).toBe(401);
    expect(output.text()).not.toContain(SECRET_TOKEN);
    expect(output.text()).not.toContain("c2lnbmF0dXJl");
  });

  it("never writes a token the real verifier accepts or refuses, even at DEBUG", async () => {
    logger.setLogLevel("DEBUG");
    const pool = await testUserPool();
    const accepted = await pool.idToken();
    const refused = await pool.idToken({ aud: "another-client" });
    const app = new Hono<TenantEnv>();
    app.use(tenantContext({ dataSource: noData, verifier: pool.verifier, registry: activeTenantRegistry() }));
    app.get("/me", (c) => c.json(c.var.tenant));
    const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
    expect((await app.request("/me", bearer(accepted))).status).toBe(200);
    expect((await app.request("/me", bearer(refused))).status).toBe(401);
    expect(logs().length).toBeGreaterThan(0);
    for (const token of [accepted, refused]) {
      for (const part of token.split(".")) expect(output.text()).not.toContain(part);
    }
  });
});

describe("publicRequestContext", () => {
  function publicApp() {
    const app = new Hono<TenantEnv>();
    app.use(publicRequestContext());
    app.onError(handleError);
    app.post("/registrations", (c) => {
      c.var.logger.info("signing up");
      return c.json({ ok: true }, 201);
    });
    app.post("/broken", () => {
      throw new Error("boom");
    });
    return app;
  }

  it("gives a request without a tenant its correlation id, logs and metrics under the tier 'none'", async () => {
    const res = await handle(publicApp())(
      restEvent("/registrations", { method: "POST", headers: { "X-Correlation-Id": "sign-up-1" } }),
      lambdaContext,
    );
    expect(res.statusCode).toBe(201);
    expect(res.multiValueHeaders?.["x-correlation-id"]).toEqual(["sign-up-1"]);
    expect(logs().find((line) => line.message === "signing up")).toMatchObject({ correlation_id: "sign-up-1" });
    expect(emf()).toHaveLength(1);
    expect(emf()[0]).toMatchObject({ tier: NO_TIER, Requests: 1, ClientErrors: 0, ServerErrors: 0 });
    expect(emf()[0]).not.toHaveProperty("tenantId");
  });

  it("counts its failures", async () => {
    const res = await handle(publicApp())(restEvent("/broken", { method: "POST" }), lambdaContext);
    expect(res.statusCode).toBe(500);
    expect(emf()[0]).toMatchObject({ tier: NO_TIER, ServerErrors: 1 });
  });

  it("answers and counts a failure the app's onError never sees (a throw that is not an Error)", async () => {
    const app = publicApp();
    app.post("/odd", (c) => {
      c.var.metrics.addMetric("SignUps", MetricUnit.Count, 1);
      throw { not: "an Error" };
    });
    const res = await handle(app)(restEvent("/odd", { method: "POST" }), lambdaContext);
    expect(res.statusCode).toBe(500);
    expect(res.multiValueHeaders?.["content-type"]).toEqual(["application/problem+json"]);
    expect(emf()).toHaveLength(1);
    expect(emf()[0]).toMatchObject({ tier: NO_TIER, Requests: 1, ServerErrors: 1, SignUps: 1 });

    await handle(app)(restEvent("/registrations", { method: "POST" }), lambdaContext);
    expect(emf()).toHaveLength(2);
    expect(emf()[1]).not.toHaveProperty("SignUps");
  });
});

describe("handleNotFound", () => {
  it("answers a route the app does not have with 404 problem+json that carries the correlation id", async () => {
    const app = buildApp();
    app.notFound(handleNotFound);
    const res = await app.request("/nowhere", { headers: { "X-Correlation-Id": "lost-1" } }, authorizerEvent());
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("x-correlation-id")).toBe("lost-1");
    await res.text();
    expect(emf()[0]).toMatchObject({ Requests: 1, ClientErrors: 1 });
  });
});

/** An app behind `tenantContext()` (authorizer context only) whose `c.var.secrets` come from `secrets`. */
function appWithSecrets(secrets: TenantSecretsSource): Hono<TenantEnv> {
  const app = new Hono<TenantEnv>();
  app.use(
    tenantContext({ dataSource: noData, verifier: refusingVerifier(), registry: activeTenantRegistry(), secrets }),
  );
  app.onError(handleError);
  return app;
}

describe("c.var.secrets", () => {
  it("reads the caller's tenant's secrets, and only theirs", async () => {
    const asked: string[] = [];
    const app = appWithSecrets({
      forTenant: (tenantId) => ({
        get: async (name) => {
          asked.push(`${tenantId}:${name}`);
          return `${tenantId}-value`;
        },
        getJson: async <T>(name: string) => {
          asked.push(`${tenantId}:${name}`);
          return { tenantId } as T;
        },
      }),
    });
    app.get("/secret", async (c) =>
      c.json({ key: await c.var.secrets.get("payments/api-key"), hook: await c.var.secrets.getJson("webhook") }),
    );
    const res = await app.request("/secret", {}, authorizerEvent());
    expect(await res.json()).toEqual({ key: "acme-value", hook: { tenantId: "acme" } });
    expect(asked).toEqual(["acme:payments/api-key", "acme:webhook"]);
  });
});

describe("c.var.config", () => {
  it("reads global configuration with the maxAge the caller gives", async () => {
    const asked: [string, number | undefined][] = [];
    const app = new Hono<TenantEnv>();
    app.use(
      tenantContext({
        dataSource: noData,
        verifier: refusingVerifier(),
        registry: activeTenantRegistry(),
        config: {
          getJson: async <T>(name: string, maxAgeSeconds?: number) => {
            asked.push([name, maxAgeSeconds]);
            return {} as T;
          },
        },
      }),
    );
    app.get("/config", async (c) =>
      c.json([await c.var.config.getJson("tiers", 60), await c.var.config.getJson("flags")]),
    );
    expect((await app.request("/config", {}, authorizerEvent())).status).toBe(200);
    expect(asked).toEqual([
      ["tiers", 60],
      ["flags", undefined],
    ]);
  });
});

describe("the tenant data role", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("is required on Lambda, where data would otherwise be read with the function's own role", () => {
    vi.stubEnv("AWS_LAMBDA_FUNCTION_NAME", "ProductsFunction");
    vi.stubEnv("TENANT_DATA_ROLE_ARN", "");
    expect(() => tenantContext({ tables: { products: "products" } })).toThrow(/TENANT_DATA_ROLE_ARN/);
    vi.stubEnv("TENANT_DATA_ROLE_ARN", "arn:aws:iam::123456789012:role/app-tenant-data");
    expect(() => tenantContext({ tables: { products: "products" } })).not.toThrow();
  });
});

describe("revoked tokens", () => {
  /** A verifier that accepts the one token `good`, issued (`iat`) at 1,700,000,000. */
  const verifier = {
    async verify(token: string) {
      if (token !== "good") throw new UnauthorizedError("bad token");
      return {
        tenantId: "acme",
        userId: "user-9",
        email: undefined,
        roles: ["tenant-admin" as const],
        tokenUse: "id" as const,
        expiresAt: 1_800_000_000,
        issuedAt: 1_700_000_000,
      };
    },
  };
  const appRevoking = (revokedTokens: Record<string, number>) => {
    const entries = new Set(Object.entries(revokedTokens).map(([userId, before]) => `${userId}@${before}`));
    const app = new Hono<TenantEnv>();
    app.use(
      tenantContext({ dataSource: noData, verifier, registry: activeTenantRegistry({ revokedTokens: entries }) }),
    );
    app.get("/me", (c) => c.json(c.var.tenant));
    return app;
  };
  const fromAuthorizer = (issuedAt?: string) => ({
    event: {
      requestContext: {
        requestId: "req-7",
        authorizer: { tenantId: "acme", tier: "basic", userId: "user-9", roles: "tenant-admin", issuedAt },
      },
    },
  });
  const withToken = { headers: { Authorization: "Bearer good" } };

  it("answers 401 problem+json to a token its user's revocation refuses, verified here or by the authorizer", async () => {
    const app = appRevoking({ "user-9": 1_700_000_001 });
    for (const res of [
      await app.request("/me", withToken),
      await app.request("/me", {}, fromAuthorizer("1700000000")),
    ]) {
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
    const refusals = logs().filter((line) => line.reason === "token revoked");
    expect(refusals).toHaveLength(2);
    expect(refusals.every((line) => line.tenant_id === "acme" && line.user_id === "user-9")).toBe(true);
  });

  it("lets through a token issued since its user's revocation, and the tokens of the tenant's other users", async () => {
    expect((await appRevoking({ "user-9": 1_700_000_000 }).request("/me", withToken)).status).toBe(200);
    expect(
      (await appRevoking({ "user-9": 1_700_000_000 }).request("/me", {}, fromAuthorizer("1700000000"))).status,
    ).toBe(200);
    expect((await appRevoking({ "user-8": 1_800_000_000 }).request("/me", withToken)).status).toBe(200);
  });

  it("refuses a request whose authorizer decision outlived its token (served from API Gateway's cache)", async () => {
    const app = appRevoking({});
    const withExpiry = (expiresAt: number) => {
      const event = fromAuthorizer("1700000000");
      return {
        event: {
          requestContext: {
            ...event.event.requestContext,
            authorizer: { ...event.event.requestContext.authorizer, expiresAt: String(expiresAt) },
          },
        },
      };
    };
    const now = Math.floor(Date.now() / 1000);
    const expired = await app.request("/me", {}, withExpiry(now - 10));
    expect(expired.status).toBe(401);
    expect(expired.headers.get("content-type")).toBe("application/problem+json");
    expect(logs().find((line) => line.message === "request not authenticated")?.reason).toMatch(/token expired/);
    // Within the clock skew the verifier tolerates too, and before it: let through.
    expect((await app.request("/me", {}, withExpiry(now - 1))).status).toBe(200);
    expect((await app.request("/me", {}, withExpiry(now + 3600))).status).toBe(200);
  });

  it("answers 401 to a token issued before its tenant was created (an offboarded tenant's id taken again)", async () => {
    const app = new Hono<TenantEnv>();
    const createdAt = new Date((1_700_000_000 + 1800) * 1000).toISOString();
    app.use(tenantContext({ dataSource: noData, verifier, registry: activeTenantRegistry({ createdAt }) }));
    app.get("/me", (c) => c.json(c.var.tenant));
    for (const res of [
      await app.request("/me", withToken),
      await app.request("/me", {}, fromAuthorizer("1700000000")),
    ]) {
      expect(res.status).toBe(401);
    }
    const reasons = logs()
      .filter((line) => line.message === "request not authenticated")
      .map((line) => line.reason);
    expect(reasons).toEqual([
      "token issued before its tenant was created",
      "token issued before its tenant was created",
    ]);
  });

  it("refuses an authorizer context whose user id is missing or not one, before it reaches a log line or an event", async () => {
    const app = appRevoking({});
    for (const userId of [undefined, "", "user-9\nforged", "u".repeat(129)]) {
      const event = fromAuthorizer("1700000000");
      const res = await app.request(
        "/me",
        {},
        {
          event: {
            requestContext: {
              ...event.event.requestContext,
              authorizer: { ...event.event.requestContext.authorizer, userId },
            },
          },
        },
      );
      expect(res.status, String(userId)).toBe(401);
    }
    expect(logs().filter((line) => line.reason === "authorizer context is malformed")).toHaveLength(4);
  });

  it("refuses a revoked user's request whose authorizer context does not say when its token was issued", async () => {
    expect((await appRevoking({ "user-9": 1_600_000_000 }).request("/me", {}, fromAuthorizer())).status).toBe(401);
    expect((await appRevoking({}).request("/me", {}, fromAuthorizer())).status).toBe(200);
  });

  it("c.var.revocations revokes a user of the caller's tenant, with its record as read for this request", async () => {
    const revoked: unknown[] = [];
    const app = new Hono<TenantEnv>();
    app.use(
      tenantContext({
        dataSource: noData,
        verifier,
        registry: activeTenantRegistry({ revokedTokens: new Set(["user-1@1"]) }),
        revocations: {
          revokeUser: async (tenantId, userId, known) => {
            revoked.push({ tenantId, userId, known: known?.revokedTokens });
          },
        },
      }),
    );
    app.post("/users/:id/disable", async (c) => {
      await c.var.revocations.revokeUser(c.req.param("id"));
      return c.body(null, 204);
    });
    expect((await app.request("/users/user-3/disable", { method: "POST" }, fromAuthorizer("1700000000"))).status).toBe(
      204,
    );
    expect(revoked).toEqual([{ tenantId: "acme", userId: "user-3", known: new Set(["user-1@1"]) }]);
  });
});

describe("requireRole", () => {
  it("lets a caller with the role through", async () => {
    expect((await buildApp().request("/admin-only", {}, authorizerEvent("tenant-admin"))).status).toBe(200);
  });

  it("answers 403 problem+json to a caller without it", async () => {
    const res = await buildApp().request("/admin-only", {}, authorizerEvent("tenant-user"));
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });

  it("answers 403 to a caller in no role group of the product, even on a route that asks for no role", async () => {
    for (const roles of ["", "some-other-group"]) {
      const res = await buildApp().request("/buffered", {}, authorizerEvent(roles));
      expect(res.status, roles).toBe(403);
      expect((await res.json()).detail).toBe("This user has no role in its tenant.");
    }
  });
});

/** An API Gateway REST event that came through the authorizer, as `handle()` gets it. */
const restEvent = (path: string, { method = "GET", headers = {} as Record<string, string> } = {}) =>
  restProxyEvent({
    path,
    method,
    headers,
    requestContext: {
      requestId: "req-7",
      authorizer: { tenantId: "acme", tier: "premium", userId: "user-9", roles: "tenant-user" },
    } as unknown as APIGatewayProxyEvent["requestContext"],
  });

const lambdaContext = { awsRequestId: "req-7", functionName: "products" } as LambdaContext;

/**
 * GET /export: three lines, `ExportedLines` recorded; when the export is stopped early, its producer
 * takes a moment, then records `ExportsStopped` and logs "export stopped", which belong to its own
 * request, not to the next one.
 */
function routeExportStoppingSlowly(app: Hono<TenantEnv>): { stopped: boolean } {
  const producer = { stopped: false };
  app.get("/export", (c) => {
    async function* exported() {
      try {
        yield* lines(["a", "b", "c"]);
      } finally {
        await new Promise((resolve) => setTimeout(resolve, 5));
        c.var.metrics.addMetric("ExportsStopped", MetricUnit.Count, 1);
        c.var.logger.info("export stopped");
        producer.stopped = true;
      }
    }
    c.var.metrics.addMetric("ExportedLines", MetricUnit.Count, 3);
    return ndjsonResponse(c, exported());
  });
  return producer;
}

/** The values, one at a time; then `failure`, if given. */
async function* lines(values: unknown[], failure?: Error) {
  for (const value of values) {
    await new Promise((resolve) => setImmediate(resolve));
    yield value;
  }
  if (failure) throw failure;
}

describe("tenantContext metrics under the Lambda adapters of hono/aws-lambda", () => {
  it("handle(): one EMF blob per invocation, namespace from the environment, with the request's latency", async () => {
    const result = await handle(buildApp())(restEvent("/buffered"), lambdaContext);
    expect(result.statusCode).toBe(200);
    expect(emf()).toHaveLength(1);
    const [blob] = emf();
    expect(blob._aws.CloudWatchMetrics[0].Namespace).toBe("TenantkitUnit");
    expect(blob).toMatchObject({ tier: "premium", tenantId: "acme", Requests: 1, WidgetsCounted: 3 });
    expect(blob.Latency).toBeGreaterThan(0);
  });

  /** A response stream whose connection to the client breaks at the first chunk. */
  const brokenResponseStream = () =>
    new Writable({
      write(chunk, _encoding, done) {
        // The adapter's empty first write (which sends the status and headers) goes through.
        done(chunk.length > 0 ? new Error("the client went away") : null);
      },
    });

  /** Invokes `app` as Lambda's streaming runtime does, through hono's `streamHandle()` or the layer's. */
  async function invokeStreamed(
    app: Hono<TenantEnv>,
    path: string,
    responseStream: Writable,
    adapter: typeof streamHandle | typeof layerStreamHandle = streamHandle,
    context: LambdaContext = lambdaContext,
  ): Promise<void> {
    const globals = globalThis as { awslambda?: unknown };
    globals.awslambda = { streamifyResponse: (fn: unknown) => fn, HttpResponseStream: { from: (s: unknown) => s } };
    try {
      const handler = adapter(app) as unknown as (
        event: APIGatewayProxyEvent,
        stream: Writable,
        context: LambdaContext,
      ) => Promise<void>;
      await handler(restEvent(path), responseStream, context);
    } finally {
      delete globals.awslambda;
    }
  }

  it("streamHandle(): the blob is written after the last chunk has been sent, not before", async () => {
    const sent: { chunk: string; blobsSoFar: number }[] = [];
    let blobsAtEnd = -1;
    const responseStream = new Writable({
      write(chunk, _encoding, done) {
        sent.push({ chunk: String(chunk), blobsSoFar: emf().length });
        done();
      },
      final(done) {
        blobsAtEnd = emf().length;
        done();
      },
    });
    await invokeStreamed(buildApp(), "/streamed", responseStream);
    expect(sent.map((s) => s.chunk).join("")).toBe("line 0\nline 1\nline 2\n");
    expect(sent.every((s) => s.blobsSoFar === 0)).toBe(true);
    // and before the response stream ends, so within the invocation: nothing is lost to a frozen sandbox
    expect(blobsAtEnd).toBe(1);
    expect(emf()[0]).toMatchObject({ Requests: 1, tier: "premium" });
  });

  it("streamHandle(): an answer whose response stream failed is published on its own when the next invocation starts", async () => {
    const app = buildApp();
    app.get("/export", (c) => {
      c.var.metrics.addMetric("ExportedLines", MetricUnit.Count, 3);
      return ndjsonResponse(c, lines(["a", "b", "c"]));
    });
    // The connection to the client breaks at the first chunk; the adapter stops reading the body.
    await invokeStreamed(app, "/export", brokenResponseStream());
    expect(emf()).toHaveLength(0);

    const result = await handle(app)(restEvent("/buffered"), lambdaContext);
    expect(result.statusCode).toBe(200);
    expect(emf()).toHaveLength(2);
    expect(emf()[0]).toMatchObject({ Requests: 1, ExportedLines: 3 });
    expect(emf()[1]).toMatchObject({ Requests: 1, WidgetsCounted: 3 });
    expect(emf()[1]).not.toHaveProperty("ExportedLines");
  });

  it("the layer's streamHandle(): an answer whose response stream failed is settled before the invocation ends", async () => {
    const app = buildApp();
    const producer = routeExportStoppingSlowly(app);
    await invokeStreamed(app, "/export", brokenResponseStream(), layerStreamHandle);
    expect(producer.stopped).toBe(true);
    expect(emf()).toHaveLength(1);
    expect(emf()[0]).toMatchObject({ Requests: 1, ExportedLines: 3, ExportsStopped: 1, ServerErrors: 0 });
    expect(logs().find((line) => line.message === "export stopped")).toMatchObject({ tenant_id: "acme" });
  });

  it("settling an answer whose client is going away waits until that cancel has published", async () => {
    const app = buildApp();
    const producer = routeExportStoppingSlowly(app);
    // As under a streaming adapter (c.env.context): the answer is the one the next settle looks at.
    const res = await app.request("/export", {}, { ...authorizerEvent(), context: lambdaContext });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const cancelling = reader.cancel();
    await settleAbandonedStream();
    expect(producer.stopped).toBe(true);
    expect(emf()).toHaveLength(1);
    expect(emf()[0]).toMatchObject({ Requests: 1, ExportsStopped: 1 });
    await cancelling;
    expect(emf()).toHaveLength(1);
  });

  it("the layer's streamHandle(): waits while the invocation has time for a producer slow to stop, whose lines and metrics stay its own", async () => {
    const app = buildApp();
    app.get("/export", (c) =>
      ndjsonResponse(
        c,
        (async function* () {
          try {
            yield "a";
            yield "b";
          } finally {
            // A step the client's leaving cannot cut short (deletes, say), longer than a second.
            await new Promise((resolve) => setTimeout(resolve, 1200));
            c.var.metrics.addMetric("StepsFinished", MetricUnit.Count, 1);
            c.var.logger.info("step finished");
          }
        })(),
      ),
    );
    const withTime = { ...lambdaContext, getRemainingTimeInMillis: () => 10_000 };
    await invokeStreamed(app, "/export", brokenResponseStream(), layerStreamHandle, withTime);
    expect(logs().find((line) => line.message === "step finished")).toMatchObject({ tenant_id: "acme" });
    expect(emf()).toEqual([expect.objectContaining({ Requests: 1, StepsFinished: 1 })]);
  });

  it("the layer's streamHandle(): does not wait more than a second for a producer that never stops, when the invocation's time is unknown", async () => {
    const app = buildApp();
    app.get("/export", (c) =>
      ndjsonResponse(
        c,
        (async function* () {
          yield "a";
          await new Promise(() => undefined); // a call that never returns
        })(),
      ),
    );
    // Without a bound the invocation would never end, and the test would time out.
    await invokeStreamed(app, "/export", brokenResponseStream(), layerStreamHandle);
    expect(emf()).toHaveLength(1);
    expect(emf()[0]).toMatchObject({ Requests: 1, ServerErrors: 0 });
  });

  it("the layer's streamHandle(): an export that fails half way leaves its response stream failed, never ended", async () => {
    const app = buildApp();
    app.get("/export", (c) => ndjsonResponse(c, lines(["a", "b"], new Error("the table went away"))));
    const written: string[] = [];
    let ended = false;
    const responseStream = new Writable({
      write(chunk, _encoding, done) {
        written.push(String(chunk));
        done();
      },
      final(done) {
        ended = true;
        done();
      },
    });
    let failure: Error | undefined;
    responseStream.on("error", (error) => {
      failure = error;
    });
    await invokeStreamed(app, "/export", responseStream, layerStreamHandle);
    // The runtime gets a failed stream, not an ended one, so the client's response is not ended cleanly either.
    expect(written.join("")).toBe('"a"\n"b"\n');
    expect(failure?.message).toBe("the table went away");
    expect(ended).toBe(false);
    expect(emf()[0]).toMatchObject({ Requests: 1, ServerErrors: 1 });
  });

  it("the layer's streamHandle(): an answer that ends early writes structured lines only, each with the request's keys", async () => {
    const app = buildApp();
    routeExportStoppingSlowly(app);
    app.get("/failing", (c) => ndjsonResponse(c, lines(["a"], new Error("the table went away"))));
    app.get("/failing-raw", (c) =>
      c.body(
        new ReadableStream({
          pull: (controller) => controller.error(new Error("the disk went away")),
        }),
      ),
    );
    const failedStream = () => new Writable({ write: (_chunk, _encoding, done) => done() }).on("error", () => {});
    await invokeStreamed(app, "/export", brokenResponseStream(), layerStreamHandle);
    await invokeStreamed(app, "/failing", failedStream(), layerStreamHandle);
    await invokeStreamed(app, "/failing-raw", failedStream(), layerStreamHandle);

    const written = output.text().split("\n").filter(Boolean);
    expect(written.filter((line) => !line.startsWith("{"))).toEqual([]);
    for (const line of logs())
      expect(line).toMatchObject({ tenant_id: "acme", tier: "premium", correlation_id: "req-7" });
    const messages = logs().map((line) => [line.level, line.message, line.error?.message ?? line.reason]);
    expect(messages).toEqual([
      ["INFO", "the client went away before the streamed answer ended", "Error: the client went away"],
      ["INFO", "export stopped", undefined],
      // each failure once: the NDJSON body has logged its own, the adapter the other
      ["ERROR", "streamed response failed", "the table went away"],
      ["ERROR", "streamed response failed", "the disk went away"],
    ]);
  });

  it("handle(): an NDJSON export answered buffered is still watched to its end, failure and metrics its own", async () => {
    const app = buildApp();
    app.get("/export", (c) =>
      ndjsonResponse(
        c,
        (async function* () {
          yield "a";
          c.var.metrics.addMetric("ExportedLines", MetricUnit.Count, 1);
          throw new Error("the table went away");
        })(),
      ),
    );
    await expect(handle(app)(restEvent("/export"), lambdaContext)).rejects.toThrow("the table went away");
    expect(emf()).toHaveLength(1);
    expect(emf()[0]).toMatchObject({ Requests: 1, ServerErrors: 1, ExportedLines: 1 });
  });

  it("counts an NDJSON export that fails half way as a server error, logged with the request's keys", async () => {
    const app = buildApp();
    app.get("/export", (c) => ndjsonResponse(c, lines(["a", "b"], new Error("the table went away"))));
    const res = await app.request("/export", {}, authorizerEvent());
    await expect(res.text()).rejects.toThrow("the table went away");
    expect(emf()[0]).toMatchObject({ Requests: 1, ServerErrors: 1 });
    expect(logs().find((line) => line.message === "streamed response failed")).toMatchObject({
      level: "ERROR",
      tenant_id: "acme",
      correlation_id: "req-7",
    });
  });

  it("counts a 5xx as a server error, and its answer says nothing of the cause", async () => {
    const result = await handle(buildApp())(restEvent("/broken"), lambdaContext);
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain("hunter2");
    expect(emf()).toHaveLength(1);
    expect(emf()[0]).toMatchObject({ Requests: 1, ClientErrors: 0, ServerErrors: 1 });
  });
});

describe("tenant isolation violations", () => {
  /** Data whose only table answers every read with another tenant's item, as a wrong key would. */
  function leakingData(): TenantDataSource {
    const client = {
      send: async () => ({ Item: { tenantId: "globex", itemId: "1", note: "globex-private-note" } }),
    } as unknown as DynamoDBDocumentClient;
    return createTenantDataSource({ tables: { items: "items" }, client });
  }

  it("is a 500 that reveals nothing, logged as a security event and counted as a server error", async () => {
    const app = new Hono<TenantEnv>();
    app.use(
      tenantContext({ dataSource: leakingData(), verifier: refusingVerifier(), registry: activeTenantRegistry() }),
    );
    app.onError(handleError);
    app.get("/items/:id", async (c) => c.json(await c.var.data.table("items").get({ itemId: c.req.param("id") })));

    const result = await handle(app)(restEvent("/items/1"), lambdaContext);
    expect(result.statusCode).toBe(500);
    expect(result.multiValueHeaders?.["content-type"]).toEqual(["application/problem+json"]);
    expect(JSON.parse(result.body)).toEqual({ type: "about:blank", title: "Internal Server Error", status: 500 });

    const [event] = logs().filter((line) => line.security_event === "tenant_isolation");
    expect(event).toMatchObject({ level: "CRITICAL", tenant_id: "acme", correlation_id: "req-7" });
    expect(event.violation).toEqual(expect.any(String));
    expect(output.text()).not.toContain("globex-private-note");
    expect(emf()[0]).toMatchObject({ ServerErrors: 1, tenantId: "acme" });
  });

  it("includes a refusal by IAM, which the in-process checks should have made first", async () => {
    const denied = Object.assign(new Error("User is not authorized to perform: dynamodb:GetItem"), {
      name: "AccessDeniedException",
      $fault: "client",
      $metadata: { httpStatusCode: 400 },
    });
    const dataSource = createTenantDataSource({
      tables: { items: "items" },
      client: { send: async () => Promise.reject(denied) } as unknown as DynamoDBDocumentClient,
    });
    const app = new Hono<TenantEnv>();
    app.use(tenantContext({ dataSource, verifier: refusingVerifier(), registry: activeTenantRegistry() }));
    app.onError(handleError);
    app.get("/items/:id", async (c) => c.json(await c.var.data.table("items").get({ itemId: c.req.param("id") })));

    const result = await handle(app)(restEvent("/items/1"), lambdaContext);
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body)).toEqual({ type: "about:blank", title: "Internal Server Error", status: 500 });
    const [event] = logs().filter((line) => line.security_event === "access_denied");
    expect(event).toMatchObject({ level: "CRITICAL", tenant_id: "acme", correlation_id: "req-7" });
  });

  it("includes a refusal by IAM that Powertools wrapped, as it does a secret's", async () => {
    const denied = Object.assign(new Error("not authorized to perform: secretsmanager:GetSecretValue"), {
      name: "AccessDeniedException",
    });
    const wrapped = () => Promise.reject(new Error("Failed to get parameter", { cause: denied }));
    const app = appWithSecrets({ forTenant: () => ({ get: wrapped, getJson: wrapped }) });
    app.get("/secret", async (c) => c.text(await c.var.secrets.get("payments/api-key")));
    expect((await app.request("/secret", {}, authorizerEvent())).status).toBe(500);
    const [event] = logs().filter((line) => line.security_event === "access_denied");
    expect(event).toMatchObject({ level: "CRITICAL", message: "request failed", tenant_id: "acme" });
  });

  it("is logged as a security event when it ends a streamed export half way", async () => {
    const app = new Hono<TenantEnv>();
    app.use(
      tenantContext({ dataSource: leakingData(), verifier: refusingVerifier(), registry: activeTenantRegistry() }),
    );
    app.get("/items/export", (c) => {
      const items = c.var.data.table("items");
      return ndjsonResponse(
        c,
        (async function* () {
          yield { first: true };
          yield await items.get({ itemId: "1" });
        })(),
      );
    });
    const res = await app.request("/items/export", {}, authorizerEvent());
    await expect(res.text()).rejects.toThrow();
    const [event] = logs().filter((line) => line.security_event === "tenant_isolation");
    expect(event).toMatchObject({ level: "CRITICAL", tenant_id: "acme", correlation_id: "req-7" });
    expect(event.violation).toEqual(expect.any(String));
    expect(output.text()).not.toContain("globex-private-note");
    expect(emf()[0]).toMatchObject({ ServerErrors: 1 });
  });
});
