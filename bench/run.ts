/**
 * `npm run bench [-- <name>...]`: runs the benchmarks (all, or the ones named), writes
 * bench/results/<name>.json, then regenerates the tables of docs/BENCHMARKS.md from every result.
 */
import { bundleSizes } from "./bundle-sizes.ts";
import { coldStart } from "./cold-start.ts";
import { gates } from "./gates.ts";
import { GATEWAY_CATALOGUE_SIZE, GATEWAY_TENANT, localGateway } from "./local-gateway.ts";
import { benchmarksDoc, updateBenchmarksDoc } from "./report.ts";
import { exportSizes, exportTenant, streaming } from "./streaming.ts";
import { type Benchmark, createBenchContext } from "./support/context.ts";
import { benchCommand, runInfo, writeResult } from "./support/results.ts";
import { warmOverhead } from "./warm-overhead.ts";

const benchmarks: Benchmark<unknown>[] = [bundleSizes, coldStart, warmOverhead, streaming, localGateway, gates];

const args = process.argv.slice(2);
const unknown = args.filter((name) => !benchmarks.some((b) => b.name === name));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; known: ${benchmarks.map((b) => b.name).join(", ")}`);
  process.exit(2);
}
const selected = args.length > 0 ? benchmarks.filter((b) => args.includes(b.name)) : benchmarks;
const command = benchCommand(args);
const log = (line: string) => console.log(`  ${line}`);
const context = createBenchContext({
  catalogue: {
    ...Object.fromEntries(exportSizes.map((size) => [exportTenant(size), size])),
    [GATEWAY_TENANT]: GATEWAY_CATALOGUE_SIZE,
  },
  log,
});
const started = performance.now();
try {
  for (const benchmark of selected) {
    console.log(`▶ ${benchmark.name}`);
    const run = runInfo(command);
    const benchStarted = performance.now();
    const data = await benchmark.run(context);
    const durationMs = Math.round(performance.now() - benchStarted);
    const path = await writeResult({ name: benchmark.name, run, durationMs, data });
    console.log(`✓ ${benchmark.name} in ${(durationMs / 1000).toFixed(1)} s → ${path}`);
  }
} finally {
  await context.close();
}
const missing = await updateBenchmarksDoc();
if (missing.length > 0) console.warn(`docs/BENCHMARKS.md has no markers for: ${missing.join(", ")}`);
console.log(`regenerated ${benchmarksDoc}; done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
