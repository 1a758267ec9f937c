/**
 * Regenerates the tables of docs/BENCHMARKS.md from bench/results/*.json: everything between
 * `<!-- bench:<section> -->` and `<!-- /bench:<section> -->` is replaced; the prose around it is not.
 * `npm run bench` calls it after a run; `npm run bench:report` runs it alone.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { repoRoot } from "../tools/local/template.ts";
import type { BundleSizesResult } from "./bundle-sizes.ts";
import { CALL_EXPECTATIONS } from "./call-counts.ts";
import type { ColdStartResult, ColdStartVariantResult } from "./cold-start.ts";
import type { GatesResult } from "./gates.ts";
import type { LocalGatewayResult } from "./local-gateway.ts";
import type { StreamingResult } from "./streaming.ts";
import { type BenchResult, readResult } from "./support/results.ts";
import type { Summary } from "./support/stats.ts";
import { measuredRun } from "./support/streaming-runs.ts";
import { COLD_TOKEN_TARGET_ROW, WARM_TOKEN_TARGET_ROW } from "./support/warm-overhead-rows.ts";
import type { WarmOverheadResult } from "./warm-overhead.ts";

export const benchmarksDoc = join(repoRoot, "docs/BENCHMARKS.md");

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (value: number, digits = 1) => `${value.toFixed(digits)} ms`;
const us = (value: number) => `${value.toFixed(1)} µs`;
const times = (ratio: number | undefined) => (ratio === undefined ? "—" : `${ratio.toFixed(2)}×`);
const verdict = (met: boolean) => (met ? "**met**" : "**missed**");

function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

function notRun(name: string): string {
  return `_Not run yet: \`npm run bench -- ${name}\`._`;
}

function runLine<T>(result: BenchResult<T>): string {
  const { run } = result;
  return (
    `Measured ${run.date.slice(0, 16).replace("T", " ")} UTC with \`${run.command}\` on ${run.machine.cpu}, ` +
    `${run.machine.cores} cores, ${run.machine.memoryGiB} GiB, ${run.machine.os}, Node ${run.node}, ` +
    `commit ${run.commit}; load average ${run.machine.loadAverage1m} at the start; took ${(result.durationMs / 1000).toFixed(0)} s.`
  );
}

function bundleSection(result: BenchResult<BundleSizesResult> | undefined): string {
  if (!result) return notRun("bundle-sizes");
  const { artifacts, comparisons, composition } = result.data;
  const sizes = table(
    ["artifact", "kind", "minified", "gzip", "source maps", "budget (min / gzip)", "within budget"],
    artifacts.map((a) => [
      a.id,
      a.kind,
      kb(a.bytes),
      kb(a.gzipBytes),
      kb(a.mapBytes),
      a.budget ? `${kb(a.budget.maxBytes)} / ${kb(a.budget.maxGzipBytes)}` : "none",
      a.withinBudget === undefined ? "—" : a.withinBudget ? "yes" : "**no**",
    ]),
  );
  const others = table(
    ["comparison bundle", "minified", "gzip"],
    comparisons.map((c) => [c.id, kb(c.bytes), c.gzipBytes ? kb(c.gzipBytes) : "—"]),
  );
  const parts = Object.entries(composition).map(
    ([id, shares]) => `- **${id}**: ${shares.map((s) => `${s.package} ${kb(s.bytes)}`).join(", ")}`,
  );
  return [
    runLine(result),
    "",
    sizes,
    "",
    others,
    "",
    "What fills them (bytes in the minified output, largest first):",
    "",
    ...parts,
  ].join("\n");
}

function coldRows(variants: ColdStartVariantResult[], targetRatio: number) {
  return variants.map((v) => [
    v.label,
    `${ms(v.coldStart.p50)} / ${ms(v.coldStart.p90)}`,
    ms(v.load.p50),
    ms(v.firstInvoke.p50),
    ms(v.process.p50),
    times(v.ratioToFloor),
    v.ratioToFloor === undefined || v.id.includes("naive") || v.id.includes("no-source-maps")
      ? "—"
      : verdict(v.ratioToFloor <= targetRatio),
    `${v.maxRssMiB.p50.toFixed(0)} MiB`,
    `${v.modulesLoaded} / ${kb(v.moduleBytesLoaded)}`,
    v.outcome,
  ]);
}

function coldSection(result: BenchResult<ColdStartResult> | undefined): string {
  if (!result) return notRun("cold-start");
  const { variants, samplesPerVariant, targetRatio } = result.data;
  const header = [
    "variant",
    "cold start p50 / p90",
    "load p50",
    "first invoke p50",
    "whole process p50",
    "ratio to SDK floor",
    `target ≤ ${targetRatio}×`,
    "max RSS p50",
    "files / bytes loaded",
    "first invocation answered",
  ];
  const modes = [...new Set(variants.map((v) => v.mode))];
  const out = [runLine(result), "", `${samplesPerVariant} samples per variant, variants interleaved round by round.`];
  for (const mode of modes) {
    const own = variants.filter((v) => v.mode === mode);
    const invocations = own.map((v) => `${v.label}: ${v.invocation}. AWS calls: ${v.awsCalls ?? "not recorded"}.`);
    out.push(
      "",
      `**${mode === "moto" ? "First invocation with its AWS calls (moto)" : "First invocation without AWS calls"}**`,
      "",
      table(header, coldRows(own, targetRatio)),
      "",
      ...invocations.map((line) => `- ${line}`),
    );
  }
  return out.join("\n");
}

/** The warm-overhead rows with a target: the row's id, what it is called in the targets table, its limit. */
function warmTargets(data: WarmOverheadResult): { id: string; name: string; limitUs: number }[] {
  return [
    { id: COLD_TOKEN_TARGET_ROW, name: "warm overhead, cold token cache", limitUs: data.targets.coldTokenOverheadUs },
    { id: WARM_TOKEN_TARGET_ROW, name: "warm overhead, warm token cache", limitUs: data.targets.warmTokenOverheadUs },
  ];
}

function warmSection(result: BenchResult<WarmOverheadResult> | undefined): string {
  if (!result) return notRun("warm-overhead");
  const { contenders, rounds, roundCpuMs, coldTokens, meteredRequests, verifierVerifyUs, joseVerifyUs } = result.data;
  const alone = (label: string, summary: Summary) =>
    `${label}: p50 ${us(summary.p50)}, p99 ${us(summary.p99)} (${summary.n.toLocaleString("en")} verifications).`;
  const target = (id: string, overhead: number) => {
    const row = warmTargets(result.data).find((t) => t.id === id);
    return row ? `≤ ${row.limitUs} µs: ${verdict(overhead <= row.limitUs)}` : "—";
  };
  return [
    runLine(result),
    "",
    `${rounds} interleaved rounds of ≥ ${roundCpuMs} ms per contender, one sample per request; the cold token cache cycles through ${coldTokens} distinct tokens (more than the verifier's 1000-entry cache). The tenant stack ${meteredRequests ? `metered every request (${meteredRequests.toLocaleString("en")} counted)` : "had no usage metering"}; its DynamoDB is in memory.`,
    "",
    table(
      [
        "handler",
        "p50",
        "p99",
        "mean",
        "requests",
        "p50 ratio to bare Hono",
        "p50 over bare Hono",
        "p99 over bare Hono",
        "target (p50 over Hono)",
      ],
      contenders.map((c) => [
        c.label,
        us(c.latencyUs.p50),
        us(c.latencyUs.p99),
        us(c.latencyUs.mean),
        c.latencyUs.n,
        times(c.ratioToHono),
        us(c.overheadP50Us),
        us(c.overheadP99Us),
        target(c.id, c.overheadP50Us),
      ]),
    ),
    ...(verifierVerifyUs && joseVerifyUs
      ? [
          "",
          "A token not verified before, alone (no HTTP, no cache hit):",
          "",
          `- ${alone("the stack's verifier (`createTokenVerifier`, RS256 checked in place)", verifierVerifyUs)}`,
          `- ${alone("jose's `jwtVerify`, which the verifier called before (on libuv's thread pool)", joseVerifyUs)}`,
        ]
      : []),
  ].join("\n");
}

function streamingSection(result: BenchResult<StreamingResult> | undefined): string {
  if (!result) return notRun("streaming");
  const { runs, sizes, warmRequests, targets, streamedRssGrowthMiB, bufferedRssGrowthMiB, memoryDiagnostic } =
    result.data;
  const largest = Math.max(...sizes);
  const streamedLargest = measuredRun(runs, largest, "streamed");
  const verdicts = [
    streamedLargest
      ? `- Time to first byte at ${largest.toLocaleString("en")} items, streamed: ${ms(streamedLargest.ttfbMs.p50)} p50 (target ≤ ${targets.ttfbMsAtLargest} ms): ${verdict(streamedLargest.ttfbMs.p50 <= targets.ttfbMsAtLargest)}${largest < 100_000 ? " — at the largest size run, not 100k" : ""}.`
      : "",
    streamedRssGrowthMiB !== undefined
      ? `- Worker peak RSS, streamed, ${largest.toLocaleString("en")} vs ${Math.min(...sizes).toLocaleString("en")} items: +${streamedRssGrowthMiB.toFixed(1)} MiB (target ≤ +${targets.peakRssGrowthMiB} MiB): ${verdict(streamedRssGrowthMiB <= targets.peakRssGrowthMiB)}. Buffered: ${bufferedRssGrowthMiB === undefined ? "not measured at the largest size" : `+${bufferedRssGrowthMiB.toFixed(1)} MiB`}.`
      : "",
    ...runs.flatMap((r) =>
      "failure" in r ? [`- ${r.size.toLocaleString("en")} items, ${r.delivery}: failed with ${r.failure}.`] : [],
    ),
  ].filter(Boolean);
  return [
    runLine(result),
    "",
    `Sizes run: ${sizes.map((s) => s.toLocaleString("en")).join(", ")}; per size and delivery a fresh worker, one cold request, then ${warmRequests} measured requests.`,
    "",
    table(
      [
        "items",
        "delivery",
        "TTFB p50 / max",
        "total p50 / max",
        "cold request TTFB / total",
        "body",
        "worker peak RSS",
        "Queries per request",
      ],
      runs.map((r) =>
        "failure" in r
          ? [r.size.toLocaleString("en"), r.delivery, "failed (below)", "—", "—", "—", "—", "—"]
          : [
              r.size.toLocaleString("en"),
              r.delivery,
              `${ms(r.ttfbMs.p50)} / ${ms(r.ttfbMs.max)}`,
              `${ms(r.totalMs.p50)} / ${ms(r.totalMs.max)}`,
              `${ms(r.cold.ttfbMs)} / ${ms(r.cold.totalMs)}`,
              kb(r.bytes),
              `${r.workerPeakRssMiB.toFixed(1)} MiB`,
              r.queriesPerRequest,
            ],
      ),
    ),
    "",
    ...verdicts,
    "",
    "Diagnostic, in process without the gateway (a fresh process per row, two exports each): the products app as it is (one write per product) against the same pages written once per page.",
    "",
    table(
      ["items", "writes", "peak RSS", "heap after full GC"],
      (memoryDiagnostic ?? []).map((d) => [
        d.size.toLocaleString("en"),
        d.mode === "per-line" ? "one per product (as shipped)" : "one per 500-item page",
        `${d.peakRssMiB.toFixed(1)} MiB`,
        `${d.heapAfterGcMiB.toFixed(1)} MiB`,
      ]),
    ),
  ].join("\n");
}

function gatewaySection(result: BenchResult<LocalGatewayResult> | undefined): string {
  if (!result) return notRun("local-gateway");
  const { runs, addedP50Ms, addedP99Ms, target, secondsPerRun, samLocal, route } = result.data;
  return [
    runLine(result),
    "",
    `${route}, autocannon in its own process, ${secondsPerRun} s per run after a 2 s warm-up at the same concurrency (so every worker process has started); two alternating runs per target at 1 connection, one at 8; latencies from every response, at microsecond resolution.`,
    "",
    table(
      ["served by", "connections", "requests/s", "p50", "p90", "p99", "requests", "non-2xx / errors"],
      runs.map((r) => [
        r.target === "local-gateway" ? "local gateway (authorizer + worker process)" : "@hono/node-server, in process",
        r.connections,
        r.requestsPerSecond.toFixed(0),
        ms(r.latencyMs.p50, 2),
        ms(r.latencyMs.p90, 2),
        ms(r.latencyMs.p99, 2),
        r.requests,
        `${r.non2xx} / ${r.errors}`,
      ]),
    ),
    "",
    `- Added by the gateway at 1 connection: ${ms(addedP50Ms, 2)} p50 (target ≤ ${target.addedP50Ms} ms): ${verdict(addedP50Ms <= target.addedP50Ms)}; ${ms(addedP99Ms, 2)} p99.`,
    `- For context, \`sam local start-api\`: ${samLocal.perRequest}. Sources: ${samLocal.sources.map((s) => `[${s.title}](${s.url})`).join("; ")}.`,
  ].join("\n");
}

function gatesSection(result: BenchResult<GatesResult> | undefined): string {
  const expectations = table(
    ["when", "expected calls"],
    CALL_EXPECTATIONS.map((e) => [e.when, e.expected]),
  );
  if (!result) return [expectations, "", notRun("gates")].join("\n");
  const { gates, passed, failed, command } = result.data;
  return [
    expectations,
    "",
    `Last run: ${runLine(result)} \`${command}\`: ${passed} passed, ${failed} failed.`,
    "",
    table(
      ["gate", "file", "result"],
      gates.map((g) => [
        g.title.replace(/\|/g, "\\|"),
        g.file,
        g.status === "passed" ? "passed" : `**${g.status}**${g.failure ? `: ${g.failure.replace(/\|/g, "\\|")}` : ""}`,
      ]),
    ),
  ].join("\n");
}

function targetsSection(results: {
  cold?: BenchResult<ColdStartResult>;
  warm?: BenchResult<WarmOverheadResult>;
  streaming?: BenchResult<StreamingResult>;
  gateway?: BenchResult<LocalGatewayResult>;
}): string {
  const rows: string[][] = [];
  const { cold, warm, streaming, gateway } = results;
  if (cold) {
    for (const v of cold.data.variants.filter(
      (v) => v.floor && !v.id.includes("naive") && !v.id.includes("no-source-maps"),
    )) {
      rows.push([
        `cold start ${v.id} (${v.mode})`,
        `≤ ${cold.data.targetRatio}× SDK floor`,
        times(v.ratioToFloor),
        verdict((v.ratioToFloor ?? Infinity) <= cold.data.targetRatio),
      ]);
    }
  }
  if (warm) {
    for (const { id, name, limitUs } of warmTargets(warm.data)) {
      const row = warm.data.contenders.find((c) => c.id === id);
      if (row)
        rows.push([
          name,
          `≤ ${limitUs} µs over bare Hono (p50)`,
          us(row.overheadP50Us),
          verdict(row.overheadP50Us <= limitUs),
        ]);
    }
  }
  if (streaming) {
    const largest = Math.max(...streaming.data.sizes);
    const run = measuredRun(streaming.data.runs, largest, "streamed");
    if (run)
      rows.push([
        `streaming first byte at ${largest.toLocaleString("en")}`,
        `≤ ${streaming.data.targets.ttfbMsAtLargest} ms`,
        ms(run.ttfbMs.p50),
        verdict(run.ttfbMs.p50 <= streaming.data.targets.ttfbMsAtLargest),
      ]);
    const growth = streaming.data.streamedRssGrowthMiB;
    if (growth !== undefined)
      rows.push([
        `streaming peak RSS, ${largest.toLocaleString("en")} vs ${Math.min(...streaming.data.sizes).toLocaleString("en")}`,
        `≤ +${streaming.data.targets.peakRssGrowthMiB} MiB`,
        `+${growth.toFixed(1)} MiB`,
        verdict(growth <= streaming.data.targets.peakRssGrowthMiB),
      ]);
  }
  if (gateway)
    rows.push([
      "local gateway added p50",
      `≤ ${gateway.data.target.addedP50Ms} ms`,
      ms(gateway.data.addedP50Ms, 2),
      verdict(gateway.data.addedP50Ms <= gateway.data.target.addedP50Ms),
    ]);
  return rows.length > 0 ? table(["target", "goal", "measured", "verdict"], rows) : notRun("");
}

/** Rewrites the generated sections of docs/BENCHMARKS.md; returns the sections it could not find. */
export async function updateBenchmarksDoc(): Promise<string[]> {
  const [bundles, cold, warm, stream, gateway, gateResults] = await Promise.all([
    readResult<BundleSizesResult>("bundle-sizes"),
    readResult<ColdStartResult>("cold-start"),
    readResult<WarmOverheadResult>("warm-overhead"),
    readResult<StreamingResult>("streaming"),
    readResult<LocalGatewayResult>("local-gateway"),
    readResult<GatesResult>("gates"),
  ]);
  const sections: Record<string, string> = {
    targets: targetsSection({ cold, warm, streaming: stream, gateway }),
    "bundle-sizes": bundleSection(bundles),
    "cold-start": coldSection(cold),
    "warm-overhead": warmSection(warm),
    streaming: streamingSection(stream),
    "local-gateway": gatewaySection(gateway),
    gates: gatesSection(gateResults),
  };
  let doc = await readFile(benchmarksDoc, "utf8");
  const missing: string[] = [];
  for (const [name, body] of Object.entries(sections)) {
    const pattern = new RegExp(`(<!-- bench:${name} -->)[\\s\\S]*?(<!-- /bench:${name} -->)`);
    if (!pattern.test(doc)) missing.push(name);
    doc = doc.replace(pattern, (_match, open: string, close: string) => `${open}\n${body}\n${close}`);
  }
  await writeFile(benchmarksDoc, doc);
  return missing;
}

if (process.argv[1] === import.meta.filename) {
  const missing = await updateBenchmarksDoc();
  if (missing.length > 0) console.warn(`docs/BENCHMARKS.md has no markers for: ${missing.join(", ")}`);
  console.log(`regenerated ${benchmarksDoc}`);
}
