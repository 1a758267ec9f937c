/**
 * Warm overhead: the same API Gateway event through bare Hono, bare Hono behind tenantContext() of
 * the layer as built (authorizer context; token with a cold and a warm verification cache), the full products app,
 * floors (one middleware; the Powertools calls alone; their stdout write alone; the verifier and jose alone), the Powertools Event Handler and
 * Express through serverless-http, measured with mitata in one process (bench/warm-overhead-worker.ts),
 * per request, interleaved in rounds. Reported as p50/p99 and as the difference to bare Hono.
 */
import { spawn } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchRoot } from "./support/bench-build.ts";
import type { Benchmark } from "./support/context.ts";
import { round, rounded, type Summary, summarize } from "./support/stats.ts";

const workerScript = fileURLToPath(new URL("./warm-overhead-worker.ts", import.meta.url));

export interface WarmContenderResult {
  id: string;
  label: string;
  /** per request, µs */
  latencyUs: Summary;
  /** p50 / bare Hono p50 */
  ratioToHono: number;
  /** p50 − bare Hono p50, µs */
  overheadP50Us: number;
  /** p99 − bare Hono p99, µs */
  overheadP99Us: number;
}

export interface WarmOverheadResult {
  targets: { coldTokenOverheadUs: number; warmTokenOverheadUs: number };
  rounds: number;
  roundCpuMs: number;
  coldTokens: number;
  /** the stack's verifier on a token it has not verified before, alone (no HTTP), µs; absent in older records */
  verifierVerifyUs?: Summary;
  /** jose's `jwtVerify` of a token it has not verified before, alone (no HTTP, no cache), µs; absent in older records */
  joseVerifyUs?: Summary;
  /** requests the usage meter counted: 0 means the stack measured had no metering */
  meteredRequests: number;
  contenders: WarmContenderResult[];
}

interface WorkerOutput {
  contenders: { id: string; label: string; samplesUs: number[] }[];
  coldTokens: number;
  verifierVerifySamplesUs: number[];
  joseVerifySamplesUs: number[];
  meteredRequests: number;
  rounds: number;
  roundCpuMs: number;
}

/**
 * Runs the worker, which writes its samples to `output`; it fails (and so does this) when a
 * contender does not answer as the path it is meant to measure. `env` adds `BENCH_WARM_*` settings.
 *
 * @example
 * await runWarmOverheadWorker(output, shippedLayer, { BENCH_WARM_ROUNDS: "1", BENCH_WARM_ROUND_MS: "1" });
 */
export function runWarmOverheadWorker(output: string, shippedLayer: string, env: Record<string, string> = {}) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--expose-gc", workerScript, output, shippedLayer], {
      env: {
        ...process.env,
        POWERTOOLS_SERVICE_NAME: "products",
        POWERTOOLS_METRICS_NAMESPACE: "Tenantkit",
        POWERTOOLS_LOG_LEVEL: "INFO",
        AWS_REGION: "us-east-1",
        STAGE: "bench",
        // template.yaml's Globals set it for every function: the stack meters every request
        USAGE_TABLE: "bench-usage",
        ...env,
      },
      // the stack's EMF lines go where Lambda's stdout goes: out of the process, not to a terminal
      stdio: ["ignore", "ignore", "inherit"],
    });
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`warm-overhead worker exited ${code}`))));
  });
}

export const warmOverhead: Benchmark<WarmOverheadResult> = {
  name: "warm-overhead",
  async run(context) {
    const output = join(benchRoot, "warm-overhead-samples.json");
    const shippedLayer = join((await context.build()).layerNodeModules, "@tenantkit/tenant-context/index.js");
    context.log("signing tokens, warming up, then measuring in rounds (about 20 s)");
    await runWarmOverheadWorker(output, shippedLayer);
    const raw = JSON.parse(await readFile(output, "utf8")) as WorkerOutput;
    await rm(output, { force: true });
    const summaries = raw.contenders.map((c) => ({ ...c, latencyUs: summarize(c.samplesUs) }));
    const hono = summaries.find((c) => c.id === "hono")?.latencyUs as Summary;
    return {
      targets: { coldTokenOverheadUs: 150, warmTokenOverheadUs: 30 },
      rounds: raw.rounds,
      roundCpuMs: raw.roundCpuMs,
      coldTokens: raw.coldTokens,
      verifierVerifyUs: rounded(summarize(raw.verifierVerifySamplesUs), 2),
      joseVerifyUs: rounded(summarize(raw.joseVerifySamplesUs), 2),
      meteredRequests: raw.meteredRequests,
      contenders: summaries.map((c) => ({
        id: c.id,
        label: c.label,
        latencyUs: rounded(c.latencyUs, 2),
        ratioToHono: round(c.latencyUs.p50 / hono.p50, 2),
        overheadP50Us: round(c.latencyUs.p50 - hono.p50, 1),
        overheadP99Us: round(c.latencyUs.p99 - hono.p99, 1),
      })),
    };
  },
};
