/**
 * CI gate: bundle size budgets. Builds every function and layer of template.yaml as `sam build`
 * would (tools/local/build.ts, into a temporary folder outside the repository) and holds each to
 * its budget in bench/budgets.json, where every number carries its reason. Sizes are what Lambda
 * downloads and loads at every cold start, so growing past a budget is a decision to write down.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadBudgets, measureBuild } from "../../bench/support/bundle-sizes.ts";
import { buildAll } from "../../tools/local/build.ts";
import { loadTemplate } from "../../tools/local/template.ts";

const template = loadTemplate();
const out = await mkdtemp(join(os.tmpdir(), "tenantkit-budgets-"));
await buildAll(template, out);
const sizes = measureBuild(template, out);
const { budgets } = loadBudgets();

afterAll(() => rm(out, { recursive: true, force: true }));

describe("bundle size budgets (bench/budgets.json)", () => {
  it("has a budget with a reason for every function and layer of template.yaml, and none for anything else", () => {
    expect(Object.keys(budgets).sort()).toEqual(sizes.map((size) => size.id).sort());
    for (const [id, budget] of Object.entries(budgets)) {
      expect(budget.reason.length, `${id} needs a reason for its budget`).toBeGreaterThan(20);
      expect(budget.maxGzipBytes, `${id}: the gzip budget is below the minified one`).toBeLessThanOrEqual(
        budget.maxBytes,
      );
    }
  });

  it.each(sizes.map((size) => [size.id, size.kind, size] as const))(
    "keeps %s (%s) within its budget",
    (_id, _kind, size) => {
      const budget = budgets[size.id];
      if (!budget) return; // reported by the test above
      const why = `${size.id}: ${size.bytes} B minified, ${size.gzipBytes} B gzipped; budget ${budget.maxBytes} B / ${budget.maxGzipBytes} B (${budget.reason})`;
      expect(size.bytes, why).toBeLessThanOrEqual(budget.maxBytes);
      expect(size.gzipBytes, why).toBeLessThanOrEqual(budget.maxGzipBytes);
    },
  );
});
