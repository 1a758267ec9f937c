/**
 * Streaming: GET /products/export through the local gateway for catalogues of 1k, 10k and 100k
 * products, streamed (the template's RESPONSE_STREAM route, `streamHandler`) against a buffered build
 * of the same route (`handler`, buffered integration). Measures time to first byte and total time at
 * the client, and the peak RSS (VmHWM) of the function's worker process, fresh for each size.
 * The catalogue pages come from the DynamoDB stand-in (bench/support/dynamodb-stub.ts), not moto.
 */
import { spawn } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { functionConfig, type GatewayOptions, startGateway } from "../tools/local/gateway/index.ts";
import type { Template } from "../tools/local/template.ts";
import { benchRoot } from "./support/bench-build.ts";
import type { BenchContext, Benchmark } from "./support/context.ts";
import { timedGet } from "./support/http-timing.ts";
import { processMemory } from "./support/proc-memory.ts";
import { round, rounded, summarize } from "./support/stats.ts";
import { type Delivery, type FailedStreamingRun, measuredRun, type StreamingRun } from "./support/streaming-runs.ts";

const EXPORT_FUNCTION = "ProductsExportFunction";
/** What a worker logs when a buffered export fails as it would on Lambda: out of heap, or over the payload limit. */
const FAILURE_LINE = /heap out of memory|Http response code: 413/i;

export const exportSizes = (process.env.BENCH_EXPORT_SIZES ?? "1000,10000,100000")
  .split(",")
  .map((size) => Number(size.trim()))
  .filter((size) => Number.isInteger(size) && size > 0);
const warmRequests = Number(process.env.BENCH_EXPORT_REQUESTS ?? 3);

export const exportTenant = (size: number) => `bench-export-${size}`;
const memoryWorker = fileURLToPath(new URL("./streaming-memory-worker.ts", import.meta.url));

/** In process, no gateway: the export handler's memory with one write per product vs one per page. */
export interface MemoryDiagnostic {
  size: number;
  mode: "per-line" | "per-page";
  peakRssMiB: number;
  heapAfterGcMiB: number;
}

export interface StreamingResult {
  sizes: number[];
  warmRequests: number;
  targets: { ttfbMsAtLargest: number; peakRssGrowthMiB: number };
  runs: (StreamingRun | FailedStreamingRun)[];
  /** streamed peak RSS at the largest size minus at the smallest, MiB */
  streamedRssGrowthMiB: number | undefined;
  bufferedRssGrowthMiB: number | undefined;
  memoryDiagnostic: MemoryDiagnostic[];
}

/**
 * The peak memory of one export of `size` products in a fresh process; it fails when the export
 * does not answer 200. `nodeArguments`: Lambda's heap settings for the export function, as its
 * gateway worker gets them.
 *
 * @example
 * const { peakRssMiB } = await memoryDiagnostic(1000, "per-page", []);
 */
export async function memoryDiagnostic(
  size: number,
  mode: MemoryDiagnostic["mode"],
  nodeArguments: string[],
): Promise<MemoryDiagnostic> {
  const output = join(benchRoot, `streaming-memory-${size}-${mode}.json`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", ...nodeArguments, memoryWorker, String(size), mode, output],
      {
        env: { ...process.env, POWERTOOLS_METRICS_NAMESPACE: "Tenantkit", POWERTOOLS_SERVICE_NAME: "products" },
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`memory diagnostic exited ${code}`))));
  });
  const result = JSON.parse(await readFile(output, "utf8")) as MemoryDiagnostic;
  await rm(output, { force: true });
  return { size, mode, peakRssMiB: round(result.peakRssMiB, 1), heapAfterGcMiB: round(result.heapAfterGcMiB, 1) };
}

/** The same function and route, but with `handler` (buffered) and no RESPONSE_STREAM. */
function bufferedTemplate(template: Template): Template {
  const copy = structuredClone(template);
  const fn = copy.Resources[EXPORT_FUNCTION];
  if (!fn?.Properties) throw new Error(`template.yaml has no ${EXPORT_FUNCTION}`);
  fn.Properties.Handler = "handler.handler";
  for (const event of Object.values<{ Properties?: { ResponseTransferMode?: string } }>(fn.Properties.Events ?? {})) {
    delete event.Properties?.ResponseTransferMode;
  }
  return copy;
}

async function startGateways(context: BenchContext) {
  const [build, aws, stub] = await Promise.all([context.build(), context.aws(), context.stub()]);
  /** why the export function's last invocation failed, as its worker logged it (out of heap, payload too large) */
  const failure: { line?: string } = {};
  const options: Omit<GatewayOptions, "template"> = {
    buildDir: build.buildDir,
    resolveContext: aws.context,
    extraEnv: { ...aws.env, AWS_ENDPOINT_URL_DYNAMODB: stub.url },
    port: 0,
    stage: "local",
    // the functions' EMF and log lines would bury the progress; BENCH_FUNCTION_LOGS=1 shows them
    log: ({ functionId, line }) => {
      if (functionId === EXPORT_FUNCTION && FAILURE_LINE.test(line)) failure.line = line.trim();
      if (process.env.BENCH_FUNCTION_LOGS) console.error(`[${functionId}] ${line}`);
    },
  };
  const streamed = await startGateway({ ...options, template: context.template });
  const buffered = await startGateway({ ...options, template: bufferedTemplate(context.template) });
  return { aws, stub, failure, gateways: { streamed, buffered } };
}

export const streaming: Benchmark<StreamingResult> = {
  name: "streaming",
  async run(context) {
    const { aws, stub, failure, gateways } = await startGateways(context);
    const runs: (StreamingRun | FailedStreamingRun)[] = [];
    try {
      for (const size of exportSizes) {
        const headers = { authorization: `Bearer ${await aws.tokenFor(exportTenant(size))}` };
        for (const delivery of ["streamed", "buffered"] as const) {
          const gateway = gateways[delivery];
          // A fresh worker per size and delivery: its peak RSS then belongs to this size alone.
          await gateway.lambda.close();
          const url = `${gateway.url}/products/export`;
          const before = await stub.stats();
          failure.line = undefined;
          const cold = await timedGet(url, headers);
          if (delivery === "buffered" && cold.status === 502) {
            // Its whole body in memory, the function fails as it would on Lambda: out of heap, or too large
            // to return. Its log line may come in just after the 502.
            for (let wait = 0; wait < 20 && !failure.line; wait++) await setTimeout(50);
            const reason = failure.line ?? "no reason in the function's log";
            runs.push({ size, delivery, failure: `502: ${reason}` });
            context.log(`export ${size} ${delivery}: failed, ${reason}`);
            continue;
          }
          const warm = [];
          for (let i = 0; i < warmRequests; i++) warm.push(await timedGet(url, headers));
          const after = await stub.stats();
          for (const response of [cold, ...warm]) {
            if (response.status !== 200 || response.lines !== size) {
              throw new Error(`${delivery} export of ${size}: status ${response.status}, ${response.lines} lines`);
            }
          }
          const [pid] = gateway.lambda.pool(EXPORT_FUNCTION).workerPids;
          if (pid === undefined) throw new Error(`no ${EXPORT_FUNCTION} worker is alive to measure`);
          const memory = processMemory(pid);
          const run: StreamingRun = {
            size,
            delivery,
            cold: { ttfbMs: round(cold.ttfbMs, 1), totalMs: round(cold.totalMs, 1) },
            ttfbMs: rounded(summarize(warm.map((r) => r.ttfbMs)), 1),
            totalMs: rounded(summarize(warm.map((r) => r.totalMs)), 1),
            bytes: cold.bytes,
            workerPeakRssMiB: round(memory.peakRssMiB, 1),
            workerRssMiB: round(memory.rssMiB, 1),
            queriesPerRequest: round((after.Query - before.Query) / (warmRequests + 1), 2),
          };
          runs.push(run);
          context.log(
            `export ${size} ${delivery}: ttfb p50 ${run.ttfbMs.p50} ms, total p50 ${run.totalMs.p50} ms, peak RSS ${memory.peakRssMiB.toFixed(1)} MiB`,
          );
        }
      }
    } finally {
      await gateways.streamed.close();
      await gateways.buffered.close();
    }
    const growth = (delivery: Delivery) => {
      const smallest = measuredRun(runs, Math.min(...exportSizes), delivery);
      const largest = measuredRun(runs, Math.max(...exportSizes), delivery);
      return smallest && largest && smallest !== largest
        ? round(largest.workerPeakRssMiB - smallest.workerPeakRssMiB, 1)
        : undefined;
    };
    const { nodeArguments } = functionConfig(context.template, EXPORT_FUNCTION, {
      buildDir: (await context.build()).buildDir,
      resolveContext: aws.context,
    });
    const diagnostic: MemoryDiagnostic[] = [];
    for (const size of [Math.min(...exportSizes), Math.max(...exportSizes)]) {
      for (const mode of ["per-line", "per-page"] as const) {
        diagnostic.push(await memoryDiagnostic(size, mode, nodeArguments));
      }
    }
    context.log(`memory diagnostic: ${diagnostic.map((d) => `${d.size} ${d.mode} ${d.peakRssMiB} MiB`).join(", ")}`);
    return {
      sizes: exportSizes,
      warmRequests,
      targets: { ttfbMsAtLargest: 50, peakRssGrowthMiB: 20 },
      runs,
      streamedRssGrowthMiB: growth("streamed"),
      bufferedRssGrowthMiB: growth("buffered"),
      memoryDiagnostic: diagnostic,
    };
  },
};
