/**
 * The in-process half of the warm-overhead benchmark, run in its own Node process by
 * bench/warm-overhead.ts (stdout discarded: the tenant stack writes one EMF line per request, as on
 * Lambda). Every handler gets the same API Gateway REST v1 event for GET /products?limit=2, bearer
 * token included, and answers 200 with the same two products.
 *
 * The targets of issue 3 are about the tenant-context stack itself (verify, context, metrics, log)
 * over a bare Hono handler, so their rows put `tenantContext()`, from the layer as built for Lambda,
 * in front of the very handler bare Hono runs. The stack still counts every request on its usage
 * meter (USAGE_TABLE is set, as in template.yaml's Globals) through the layer's own data source over
 * an in-memory document client: DynamoDB is not what is measured; everything the layer does around
 * it is. The full products app
 * (zod-openapi validation, the product store) is measured too, for information, and so are floors:
 * what one pass-through middleware costs, what the Powertools Logger and Metrics calls the stack
 * makes cost on their own, and what the one stdout write of that flush costs by itself; and, with
 * no HTTP around them, what the stack's verifier and jose's `jwtVerify` (which it used to call)
 * each take for a token they have not seen.
 *
 * Usage: node --import tsx bench/warm-overhead-worker.ts <result.json> <built layer index.js>
 */
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { Router } from "@aws-lambda-powertools/event-handler/http";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { AppConfig, TenantEnv } from "@tenantkit/tenant-context";
import * as layerSource from "@tenantkit/tenant-context";
import { testSigningKey } from "@tenantkit/tenant-context/testing";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import express from "express";
import { Hono } from "hono";
import { handle } from "hono/aws-lambda";
import { type JWTPayload, jwtVerify } from "jose";
import { measure } from "mitata";
import serverless from "serverless-http";
import { createProductsApp } from "../functions/products/app.ts";
import { benchAuthorizer, lambdaContext, restEvent } from "./support/events.ts";
import { COLD_TOKEN_TARGET_ROW, WARM_TOKEN_TARGET_ROW } from "./support/warm-overhead-rows.ts";

/**
 * The rows the targets are about run the layer as it ships: the one bundled file `sam build` puts
 * in the layer (minified, as Lambda loads it from /opt), given as the second argument, behind the
 * layer's own Lambda adapter (`handle`), as the services use it; so does the Powertools floor. The
 * products app rows run from the TypeScript source, as the services' code imports it (with the
 * Powertools of node_modules, not the layer's build of it). Bare Hono and the floors run behind
 * hono's `handle`.
 */
const shipped = process.argv[3];
if (!shipped) throw new Error("usage: warm-overhead-worker.ts <result.json> <built layer index.js>");
const layer = (await import(pathToFileURL(shipped).href)) as typeof layerSource;

const TENANT = "acme";
const region = "us-east-1";
const userPoolId = "us-east-1_BENCH";
const clientId = "bench-client";
/** More distinct tokens than the verifier's cache holds (1000), so cycling through them always misses. */
const COLD_TOKENS = 2000;
const rounds = Number(process.env.BENCH_WARM_ROUNDS ?? 5);
const roundCpuMs = Number(process.env.BENCH_WARM_ROUND_MS ?? 300);

// ---------------------------------------------------------------- the data every handler answers with

const products = [1, 2].map((i) => ({
  productId: `00000000-0000-4000-8000-00000000000${i}`,
  name: `Product ${i}`,
  priceCents: 1999,
  currency: "EUR",
  stock: 3,
  version: 1,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
}));
const { productId: _lastId, ...lastRest } = products[1] as (typeof products)[number];
const apiItems = products.map(({ productId, ...rest }) => ({ id: productId, ...rest }));
const apiPage = {
  items: apiItems,
  nextCursor: Buffer.from(JSON.stringify({ productId: products[1]?.productId })).toString("base64url"),
};
void lastRest;

/** The document client the tenant-scoped tables talk to: a Query page, or the usage counter, from memory. */
let usageCount = 0;
const inMemoryDocumentClient = {
  send: async (command: { input: Record<string, unknown> }) => {
    if ("UpdateExpression" in command.input) {
      usageCount += 1;
      return { Attributes: { ...(command.input.Key as object), tenantId: TENANT, requests: usageCount } };
    }
    return {
      Items: products.map((p) => ({ tenantId: TENANT, ...p })),
      LastEvaluatedKey: { tenantId: TENANT, productId: products[1]?.productId },
    };
  },
} as unknown as DynamoDBDocumentClient;

const registryClient = {
  send: async () => ({
    // Created before the bench's tokens were issued: a record without a readable `createdAt`, or
    // newer than a token, refuses it (`tokenRefusal`).
    Item: {
      tenantId: TENANT,
      name: "Acme",
      tier: "basic",
      status: "ACTIVE",
      createdAt: "2026-01-01T00:00:00.000Z",
      updatedAt: "2026-01-01T00:00:00.000Z",
    },
  }),
} as unknown as DynamoDBDocumentClient;

/** Global configuration (tier limits) from memory instead of SSM. */
const tierSettings = { rateLimit: 1e6, burstLimit: 1e6, tenantDailyQuota: 1e9, usageKey: "bench", features: {} };
const config = {
  getJson: async () => ({
    basic: tierSettings,
    standard: tierSettings,
    premium: tierSettings,
    enterprise: tierSettings,
  }),
} as unknown as AppConfig;

// ---------------------------------------------------------------- tokens signed by a key of our own

const issuer = `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
const signingKey = await testSigningKey("bench");

/**
 * What `tenantContext()` is given, from one build of the layer: its own data source (per-tenant
 * views, key checks) and registry over the in-memory clients, and a verifier (so one token cache)
 * per app, as each function has its own.
 */
function stackOptions(build: typeof layerSource) {
  return {
    dataSource: build.createTenantDataSource({
      tables: { products: "bench-products", [build.USAGE_TABLE_NAME]: "bench-usage" },
      client: inMemoryDocumentClient,
    }),
    registry: build.createTenantRegistry({ tableName: "tenants", client: registryClient }),
    verifier: build.createTokenVerifier({ region, userPoolId, clientId, jwks: signingKey.jwks }),
    config,
  };
}

function idToken(serial: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: JWTPayload = {
    iss: issuer,
    sub: "3f2a7c1e-0000-4000-8000-000000000001",
    aud: clientId,
    token_use: "id",
    iat: now,
    exp: now + 3600,
    jti: `bench-${serial}`,
    "custom:tenantId": TENANT,
    "cognito:groups": ["tenant-admin"],
    email: "admin@acme.test",
  };
  return signingKey.sign(claims);
}

const tokens: string[] = [];
for (let i = 0; i < COLD_TOKENS; i++) tokens.push(await idToken(i));

// ---------------------------------------------------------------- the same request for everyone

const listRequest = { path: "/products", query: { limit: "2" } };
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
// API Gateway passes the Authorization header on also after its authorizer: every event carries a
// token, so bare Hono's adapter copies the same headers as the stack's (the "same event").
const viaAuthorizer = restEvent({
  ...listRequest,
  headers: bearer(tokens[0] as string),
  authorizer: benchAuthorizer(TENANT),
});
const withToken = (token: string) => restEvent({ ...listRequest, headers: bearer(token) });
const coldTokenEvents = tokens.map(withToken);
const warmTokenEvent = withToken(tokens[0] as string);
const context: Context = lambdaContext("products");

type LambdaHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

// ---------------------------------------------------------------- the contenders

const bareHono = new Hono();
bareHono.get("/products", (c) => c.json(apiPage));

/** Floor: what any one middleware costs in Hono (bare Hono with a single handler skips composing). */
const withMiddleware = new Hono();
withMiddleware.use(async (_c, next) => {
  await next();
});
withMiddleware.get("/products", (c) => c.json(apiPage));

/**
 * Floor: the Powertools Logger keys and Metrics flush the stack does per request, and nothing else,
 * on the shipped layer's Powertools (its build reads one environment variable once, see
 * layers/tenant-context/build.mjs): the calls of `publishRequestMetrics`, one by one.
 */
const withPowertools = new Hono();
withPowertools.use(async (_c, next) => {
  const startedAt = performance.now();
  const { logger, metrics, MetricUnit } = layer;
  logger.resetKeys();
  logger.appendKeys({ correlation_id: "bench", tenant_id: TENANT, tier: "basic", user_id: "bench" });
  await next();
  metrics.addDimension("tier", "basic");
  metrics.addMetadata("tenantId", TENANT);
  metrics.addMetric("Requests", MetricUnit.Count, 1);
  metrics.addMetric("Latency", MetricUnit.Milliseconds, performance.now() - startedAt);
  metrics.addMetric("ClientErrors", MetricUnit.Count, 0);
  metrics.addMetric("ServerErrors", MetricUnit.Count, 0);
  metrics.publishStoredMetrics();
});
withPowertools.get("/products", (c) => c.json(apiPage));

/**
 * Floor: the one write to stdout that the Metrics flush makes per request (an EMF line of the same
 * shape), without Powertools: what the system call costs on the machine measured.
 */
const emfLine = `${JSON.stringify({
  _aws: {
    Timestamp: Date.now(),
    CloudWatchMetrics: [
      {
        Namespace: "Tenantkit",
        Dimensions: [["service", "tier"]],
        Metrics: ["Requests", "Latency", "ClientErrors", "ServerErrors"].map((Name) => ({ Name, Unit: "Count" })),
      },
    ],
  },
  service: "products",
  tier: "basic",
  Requests: 1,
  Latency: 0.5,
  ClientErrors: 0,
  ServerErrors: 0,
  tenantId: TENANT,
})}\n`;
const withStdoutLine = new Hono();
withStdoutLine.use(async (_c, next) => {
  await next();
  process.stdout.write(emfLine);
});
withStdoutLine.get("/products", (c) => c.json(apiPage));

/** The stack the targets are about: tenantContext() in front of bare Hono's own handler. */
const honoWithTenantContext = new Hono<TenantEnv>();
honoWithTenantContext.use(layer.tenantContext(stackOptions(layer)));
honoWithTenantContext.get("/products", (c) => c.json(apiPage));

// The services' own adapter (the layer's `handle`), as they ship; the floors and bare Hono use hono's.
const productsApp = layerSource.handle(createProductsApp(stackOptions(layerSource))) as LambdaHandler;

const powertools = new Router();
powertools.get("/products", async () => apiPage);

const expressApp = express();
expressApp.get("/products", (_req, res) => {
  res.json(apiPage);
});
const expressHandler = serverless(expressApp) as unknown as LambdaHandler;

interface Contender {
  id: string;
  label: string;
  invoke(): Promise<APIGatewayProxyResult>;
}

// Each contender gets its own copy of the event: serverless-http writes into the event it is given.
const own = () => structuredClone(viaAuthorizer);
// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its environment
const viaAuthorizerHandler = (app: Hono<any>, adapter: (app: Hono<any>) => unknown = handle) => {
  const handler = adapter(app) as LambdaHandler;
  const event = own();
  return () => handler(event, context);
};
const tenantContextHandler = layer.handle(honoWithTenantContext) as LambdaHandler;
/** Each cold-token contender walks the tokens on its own, so its verifier never meets one twice in 2000. */
const coldEvents = () => {
  let index = 0;
  return () => coldTokenEvents[index++ % COLD_TOKENS] as APIGatewayProxyEvent;
};
const tenantContextColdEvent = coldEvents();
const productsColdEvent = coldEvents();
const productsEvent = own();
const powertoolsEvent = own();
const expressEvent = own();

const contenders: Contender[] = [
  { id: "hono", label: "bare Hono (handle)", invoke: viaAuthorizerHandler(bareHono) },
  {
    id: "floor-middleware",
    label: "floor: bare Hono + one pass-through middleware",
    invoke: viaAuthorizerHandler(withMiddleware),
  },
  {
    id: "floor-powertools",
    label: "floor: bare Hono + one middleware with the stack's Powertools Logger keys and Metrics flush",
    invoke: viaAuthorizerHandler(withPowertools),
  },
  {
    id: "floor-stdout-line",
    label: "floor: bare Hono + one middleware writing one EMF-sized line to stdout, without Powertools",
    invoke: viaAuthorizerHandler(withStdoutLine),
  },
  {
    id: "tenant-context-authorizer",
    label: "bare Hono + tenantContext(), authorizer context",
    invoke: viaAuthorizerHandler(honoWithTenantContext, layer.handle),
  },
  {
    id: COLD_TOKEN_TARGET_ROW,
    label: "bare Hono + tenantContext(), token verified in process, cold token cache",
    invoke: () => tenantContextHandler(tenantContextColdEvent(), context),
  },
  {
    id: WARM_TOKEN_TARGET_ROW,
    label: "bare Hono + tenantContext(), token verified in process, warm token cache",
    invoke: () => tenantContextHandler(warmTokenEvent, context),
  },
  {
    id: "products-authorizer",
    label: "products app (tenant stack + zod-openapi + store), authorizer context",
    invoke: () => productsApp(productsEvent, context),
  },
  {
    id: "products-cold-token",
    label: "products app, token verified in process, cold token cache",
    invoke: () => productsApp(productsColdEvent(), context),
  },
  {
    id: "products-warm-token",
    label: "products app, token verified in process, warm token cache",
    invoke: () => productsApp(warmTokenEvent, context),
  },
  {
    id: "powertools",
    label: "Powertools Event Handler (Router.resolve)",
    invoke: () => powertools.resolve(powertoolsEvent, context) as Promise<APIGatewayProxyResult>,
  },
  { id: "express", label: "Express 5 through serverless-http", invoke: () => expressHandler(expressEvent, context) },
];

// ---------------------------------------------------------------- check, warm up, measure

const checks: Record<string, { statusCode: number; items: number }> = {};
for (const contender of contenders) {
  const result = await contender.invoke();
  const body = JSON.parse(result.body);
  checks[contender.id] = { statusCode: result.statusCode, items: body.items?.length ?? 0 };
  if (result.statusCode !== 200 || body.items?.length !== 2) {
    throw new Error(`${contender.id} answered ${result.statusCode} ${result.body}: it would measure the wrong path`);
  }
}
for (let i = 0; i < 2000; i++) for (const contender of contenders) await contender.invoke();

const samples = new Map<string, number[]>(contenders.map((c) => [c.id, []]));
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < contenders.length; i++) {
    const contender = contenders[(i + round) % contenders.length] as Contender;
    const stats = await measure(contender.invoke, {
      // one sample per request (never averaged over a batch), so p50/p99 are per request
      batch_threshold: 0,
      min_cpu_time: roundCpuMs * 1e6,
      min_samples: 100,
    });
    samples.get(contender.id)?.push(...stats.samples.map((ns) => ns / 1000));
  }
}

// A new token with no HTTP around it: the stack's verifier (RS256 checked in place), and jose's
// `jwtVerify` (on libuv's thread pool), which the verifier called before.
const newTokenSamples = async (verify: (token: string) => Promise<unknown>) => {
  let index = 0;
  const stats = await measure(() => verify(tokens[index++ % COLD_TOKENS] as string), {
    batch_threshold: 0,
    min_cpu_time: roundCpuMs * 1e6,
    min_samples: 100,
  });
  return stats.samples.map((ns) => ns / 1000);
};
const verifierAlone = stackOptions(layer).verifier;
const verifierVerifySamplesUs = await newTokenSamples((token) => verifierAlone.verify(token));
const joseVerifySamplesUs = await newTokenSamples((token) => jwtVerify(token, signingKey.jwks));

writeFileSync(
  process.argv[2] as string,
  JSON.stringify({
    contenders: contenders.map(({ id, label }) => ({ id, label, check: checks[id], samplesUs: samples.get(id) })),
    coldTokens: COLD_TOKENS,
    verifierVerifySamplesUs,
    joseVerifySamplesUs,
    meteredRequests: usageCount,
    rounds,
    roundCpuMs,
  }),
);
