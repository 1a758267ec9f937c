/**
 * The benchmarks measure the paths they name: each worker stops when a handler does not answer as
 * the measured path does (a 401 from a registry record the request path refuses, say). Run here
 * with the smallest settings, so a change that breaks a benchmark fails CI rather than the next
 * `npm run bench`. Nothing here is timed.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { memoryDiagnostic } from "../../bench/streaming.ts";
import { runWarmOverheadWorker } from "../../bench/warm-overhead.ts";
import { buildAll } from "../../tools/local/build.ts";
import { loadTemplate } from "../../tools/local/template.ts";

const out = await mkdtemp(join(os.tmpdir(), "tenantkit-bench-workers-"));
afterAll(() => rm(out, { recursive: true, force: true }));

describe("the benchmarks' workers", () => {
  it("warm-overhead: every contender answers as the path it measures, and is measured", async () => {
    await buildAll(loadTemplate(), out);
    const layer = join(out, "TenantContextLayer", "nodejs", "node_modules", "@tenantkit", "tenant-context", "index.js");
    const samples = join(out, "warm-overhead-samples.json");

    await runWarmOverheadWorker(samples, layer, { BENCH_WARM_ROUNDS: "1", BENCH_WARM_ROUND_MS: "1" });

    const { contenders } = JSON.parse(await readFile(samples, "utf8")) as {
      contenders: { id: string; samplesUs: number[] }[];
    };
    expect(contenders.length).toBeGreaterThan(5);
    for (const contender of contenders) expect(contender.samplesUs.length, contender.id).toBeGreaterThan(0);
  }, 180_000);

  it.each(["per-line", "per-page"] as const)(
    "streaming memory (%s): the export answers 200",
    async (mode) => {
      const { peakRssMiB } = await memoryDiagnostic(100, mode, []);
      expect(peakRssMiB).toBeGreaterThan(0);
    },
    120_000,
  );
});
