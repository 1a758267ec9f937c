/**
 * Cold start: a fresh Node process per sample loads one built bundle with the layer resolved as
 * Lambda resolves it (NODE_PATH = the layer's nodejs/node_modules), then invokes it once.
 * Variants run round-robin, so every variant sees the same machine load, and ratios are taken
 * against the AWS SDK floor measured in the same run.
 */
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { functionConfig } from "../tools/local/gateway/function-config.ts";
import { benchRoot, type Fixture } from "./support/bench-build.ts";
import type { BenchContext, Benchmark } from "./support/context.ts";
import { startCountingProxy } from "./support/counting-proxy.ts";
import { authorizerEvent, benchAuthorizer, restEvent } from "./support/events.ts";
import { round, rounded, type Summary, summarize } from "./support/stats.ts";

const runnerScript = fileURLToPath(new URL("./support/cold-start-runner.cjs", import.meta.url));
const COLD_TENANT = "bench-cold";
/** an id no product has: the read reaches DynamoDB and answers 404 */
const MISSING_PRODUCT_ID = "7b0c3f0e-0000-4000-8000-00000000dead";

/** no-aws: the first invocation makes no AWS call; moto: it makes the calls a real first request makes */
export type ColdStartMode = "no-aws" | "moto";

interface Variant {
  id: string;
  label: string;
  /** the variant whose median this one is divided by */
  floor?: string;
  bundlePath: string;
  exportName: string;
  cwd: string;
  env: Record<string, string>;
  /** the arguments Lambda's runtime starts `node` with for the function's memory, the same for its floors */
  nodeArguments: string[];
  eventPath: string;
  /** what the first invocation does, in words */
  invocation: string;
}

interface RunnerOutput {
  startupMs: number;
  loadMs: number;
  firstInvokeMs: number;
  rssBytes: number;
  maxRssBytes: number;
  modules: string[];
  outcome: string;
}

export interface ColdStartVariantResult {
  id: string;
  label: string;
  mode: ColdStartMode;
  invocation: string;
  /** the AWS calls the first invocation made, in order (counted once, through a proxy) */
  awsCalls: string;
  floor: string | undefined;
  outcome: string;
  /** require() of the bundle (and the layer) until the handler is there, ms */
  load: Summary;
  /** the first invocation until the handler returned (or the stream ended), ms */
  firstInvoke: Summary;
  /** load + first invocation: the part the code controls, ms */
  coldStart: Summary;
  /** spawn to exit as the parent sees it, Node's own start-up included, ms */
  process: Summary;
  maxRssMiB: Summary;
  modulesLoaded: number;
  moduleBytesLoaded: number;
  /** median cold start / the floor's median cold start */
  ratioToFloor: number | undefined;
  /** the same ratio for the whole process */
  processRatioToFloor: number | undefined;
}

export interface ColdStartResult {
  samplesPerVariant: number;
  /** target: every function's median cold start within this multiple of its SDK floor */
  targetRatio: number;
  variants: ColdStartVariantResult[];
}

const samplesPerVariant = Number(process.env.BENCH_COLD_SAMPLES ?? 12);
const TARGET_RATIO = 1.15;

async function writeEvent(name: string, event: unknown): Promise<string> {
  const dir = join(benchRoot, "events");
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  await writeFile(path, JSON.stringify(event));
  return path;
}

async function variantsFor(context: BenchContext, mode: ColdStartMode): Promise<Variant[]> {
  const build = await context.build();
  const aws = await context.aws();
  const callAws = mode === "moto";
  const lambda = (functionId: string) =>
    functionConfig(context.template, functionId, {
      buildDir: build.buildDir,
      resolveContext: aws.context,
      extraEnv: aws.env,
    });
  const products = lambda("ProductsFunction");
  const exporter = lambda("ProductsExportFunction");
  const authorizer = lambda("AuthorizerFunction");
  const authorizer_ = benchAuthorizer(COLD_TENANT);

  const productsEvent = callAws
    ? await writeEvent(
        "products-get-missing",
        restEvent({
          path: `/products/${MISSING_PRODUCT_ID}`,
          resource: "/products/{id}",
          pathParameters: { id: MISSING_PRODUCT_ID },
          authorizer: authorizer_,
        }),
      )
    : await writeEvent("products-no-credentials", restEvent({ path: "/products" }));
  const exportEvent = callAws
    ? await writeEvent("products-export", restEvent({ path: "/products/export", authorizer: authorizer_ }))
    : productsEvent;
  const authorizerEventPath = await writeEvent(
    `authorizer-${mode}`,
    authorizerEvent(callAws ? await aws.tokenFor(COLD_TENANT) : undefined),
  );
  const productsInvocation = callAws
    ? "GET /products/{id} of a missing id, authorizer context: every AWS call of a first request (moto), 404"
    : "GET /products without authorizer context or token: refused (401 problem+json) before any AWS call";
  const exportInvocation = callAws
    ? "GET /products/export of an empty catalogue: every AWS call of a first request (moto), streamed"
    : "the same refused request through streamHandler";
  const authorizerInvocation = callAws
    ? "a valid token: JWKS fetch, RS256 verification, tenant record, tier configuration (moto), Allow"
    : "no token: refused (Unauthorized) without any AWS call";

  const floorEnv = (env: Record<string, string>) => ({
    ...env,
    BENCH_CALL_AWS: callAws ? "1" : "0",
    BENCH_TENANT_ID: COLD_TENANT,
  });
  const fixture = (name: Fixture) => build.fixture(name);
  const own = (config: typeof products, eventPath: string) => ({
    bundlePath: config.bundlePath,
    exportName: config.exportName,
    cwd: config.taskRoot,
    env: config.env,
    nodeArguments: config.nodeArguments,
    eventPath,
  });

  const variants: Variant[] = [
    {
      id: "hono-hello",
      label: "bare Hono hello (baseline a)",
      ...own(products, productsEvent),
      bundlePath: fixture("hono-hello"),
      exportName: "handler",
      invocation: "GET → 200 hello",
    },
    {
      id: "sdk-floor-products",
      label: "SDK floor of products: DynamoDB document client, STS, SSM (floor b)",
      ...own(products, productsEvent),
      bundlePath: fixture("sdk-floor-products"),
      exportName: "handler",
      env: floorEnv(products.env),
      invocation: callAws ? "the same AWS calls, SDK only (moto)" : "creates the clients, no call",
    },
    {
      id: "ProductsFunction",
      label: "ProductsFunction (bundled layer)",
      floor: "sdk-floor-products",
      ...own(products, productsEvent),
      invocation: productsInvocation,
    },
    {
      id: "ProductsFunction-naive-layer",
      label: "ProductsFunction, layer as unbundled node_modules (naive c)",
      floor: "sdk-floor-products",
      ...own(products, productsEvent),
      env: { ...products.env, NODE_PATH: build.naiveLayerNodeModules },
      invocation: productsInvocation,
    },
    {
      id: "ProductsExportFunction",
      label: "ProductsExportFunction (streamHandler)",
      floor: callAws ? "sdk-floor-export" : "sdk-floor-products",
      ...own(exporter, exportEvent),
      invocation: exportInvocation,
    },
    {
      id: "sdk-floor-authorizer",
      label: "SDK floor of the authorizer: DynamoDB document client, SSM (floor b)",
      ...own(authorizer, authorizerEventPath),
      bundlePath: fixture("sdk-floor-authorizer"),
      exportName: "handler",
      env: floorEnv(authorizer.env),
      invocation: callAws ? "tenant record + tier configuration, SDK only (moto)" : "creates the clients, no call",
    },
    {
      id: "AuthorizerFunction",
      label: "AuthorizerFunction",
      floor: "sdk-floor-authorizer",
      ...own(authorizer, authorizerEventPath),
      invocation: authorizerInvocation,
    },
  ];
  if (callAws) {
    variants.push({
      id: "sdk-floor-export",
      label: "SDK floor of the export: DynamoDB document client, STS, SSM (floor b)",
      ...own(exporter, exportEvent),
      bundlePath: fixture("sdk-floor-products"),
      exportName: "handler",
      env: floorEnv(exporter.env),
      invocation: "the same AWS calls, SDK only (moto)",
    });
  } else {
    const { NODE_OPTIONS: _sourceMaps, ...withoutSourceMaps } = products.env;
    variants.push({
      id: "ProductsFunction-no-source-maps",
      label: "ProductsFunction without NODE_OPTIONS=--enable-source-maps (diagnostic)",
      floor: "sdk-floor-products",
      ...own(products, productsEvent),
      env: withoutSourceMaps,
      invocation: productsInvocation,
    });
  }
  return variants;
}

function sample(
  variant: Variant,
  extraEnv: Record<string, string> = {},
): Promise<RunnerOutput & { processMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const args = [...variant.nodeArguments, runnerScript, variant.bundlePath, variant.exportName, variant.eventPath];
    const child = spawn(process.execPath, args, {
      cwd: variant.cwd,
      env: { PATH: process.env.PATH ?? "", ...variant.env, ...extraEnv },
      stdio: ["ignore", "ignore", "pipe", "pipe"],
    });
    const output: Buffer[] = [];
    const errors: Buffer[] = [];
    child.stdio[3]?.on("data", (chunk: Buffer) => output.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => errors.push(chunk));
    child.once("error", reject);
    child.once("close", (code) => {
      const processMs = performance.now() - started;
      if (code !== 0 || output.length === 0) {
        reject(
          new Error(`${variant.id}: runner exited with ${code}: ${Buffer.concat(errors).toString().slice(-2000)}`),
        );
        return;
      }
      resolve({ ...(JSON.parse(Buffer.concat(output).toString()) as RunnerOutput), processMs });
    });
  });
}

async function measureMode(context: BenchContext, mode: ColdStartMode): Promise<ColdStartVariantResult[]> {
  const variants = await variantsFor(context, mode);
  const samples = new Map<string, (RunnerOutput & { processMs: number })[]>(variants.map((v) => [v.id, []]));
  // One unrecorded round warms the file cache, as a provisioned Lambda host has its layers on disk.
  // It goes through a counting proxy, which says what AWS calls each first invocation made.
  const aws = await context.aws();
  const proxy = await startCountingProxy(aws.endpoint);
  const awsCalls = new Map<string, string>();
  try {
    for (const variant of variants) {
      proxy.reset();
      await sample(variant, { AWS_ENDPOINT_URL: proxy.url });
      const calls = proxy.calls.map(
        (call) =>
          `${call.service} ${call.operation}${call.table ? ` (${call.table.replace(/^tenantkit-bench-/, "")})` : ""}`,
      );
      awsCalls.set(variant.id, calls.length > 0 ? calls.join(", ") : "none");
    }
  } finally {
    await proxy.close();
  }
  for (let round = 0; round < samplesPerVariant; round++) {
    // Rotate the order so no variant always runs right after the same neighbour.
    for (let i = 0; i < variants.length; i++) {
      const variant = variants[(i + round) % variants.length] as Variant;
      samples.get(variant.id)?.push(await sample(variant));
    }
    context.log(`cold start (${mode}): round ${round + 1}/${samplesPerVariant}`);
  }

  const results = variants.map((variant): Omit<ColdStartVariantResult, "ratioToFloor" | "processRatioToFloor"> => {
    const runs = samples.get(variant.id) ?? [];
    const first = runs[0] as RunnerOutput;
    const outcomes = new Set(runs.map((run) => run.outcome));
    const modules = first.modules;
    return {
      id: variant.id,
      label: variant.label,
      mode,
      invocation: variant.invocation,
      awsCalls: awsCalls.get(variant.id) ?? "unknown",
      floor: variant.floor,
      outcome: [...outcomes].join(" | "),
      load: rounded(summarize(runs.map((run) => run.loadMs))),
      firstInvoke: rounded(summarize(runs.map((run) => run.firstInvokeMs))),
      coldStart: rounded(summarize(runs.map((run) => run.loadMs + run.firstInvokeMs))),
      process: rounded(summarize(runs.map((run) => run.processMs))),
      maxRssMiB: rounded(summarize(runs.map((run) => run.maxRssBytes / 2 ** 20)), 1),
      modulesLoaded: modules.length,
      moduleBytesLoaded: modules.reduce((sum, path) => sum + statSync(path).size, 0),
    };
  });
  return results.map((result) => {
    const floor = results.find((candidate) => candidate.id === result.floor);
    return {
      ...result,
      ratioToFloor: floor ? round(result.coldStart.p50 / floor.coldStart.p50, 2) : undefined,
      processRatioToFloor: floor ? round(result.process.p50 / floor.process.p50, 2) : undefined,
    };
  });
}

export const coldStart: Benchmark<ColdStartResult> = {
  name: "cold-start",
  async run(context) {
    const modes = (process.env.BENCH_COLD_MODES ?? "no-aws,moto").split(",") as ColdStartMode[];
    const variants: ColdStartVariantResult[] = [];
    for (const mode of modes) variants.push(...(await measureMode(context, mode)));
    return { samplesPerVariant, targetRatio: TARGET_RATIO, variants };
  },
};
