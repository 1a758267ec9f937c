/**
 * Bundle sizes: each function's handler bundle and the layer as `sam build` would deploy them
 * (minified, and gzipped as a proxy for the zip), the comparison bundles, the naive layer's
 * node_modules, the budgets of bench/budgets.json, and what takes the room (bytes by npm package).
 */
import { readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build, type Metafile } from "esbuild";
import { buildLayer } from "../layers/tenant-context/build.mjs";
import { esbuildOptionsFor } from "../tools/local/build.ts";
import { resourcesOfType } from "../tools/local/template.ts";
import { FIXTURES } from "./support/bench-build.ts";
import { type ArtifactSize, loadBudgets, measureBuild } from "./support/bundle-sizes.ts";
import type { Benchmark } from "./support/context.ts";

export interface SizeRow extends ArtifactSize {
  budget: { maxBytes: number; maxGzipBytes: number } | undefined;
  withinBudget: boolean | undefined;
}

export interface PackageShare {
  package: string;
  bytes: number;
}

export interface BundleSizesResult {
  artifacts: SizeRow[];
  comparisons: { id: string; bytes: number; gzipBytes: number }[];
  /** the largest contributors to each bundle, bytes in the minified output */
  composition: Record<string, PackageShare[]>;
}

function packageOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (match?.[1]) return match[1];
  if (input.startsWith("layers/")) return "(layer code)";
  if (input.startsWith("shared/")) return "(shared/)";
  if (input.startsWith("functions/")) return "(function code)";
  return "(other)";
}

function composition(metafile: Metafile, top = 8): PackageShare[] {
  const byPackage = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...byPackage]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, bytes]) => ({ package: name, bytes }));
}

export const bundleSizes: Benchmark<BundleSizesResult> = {
  name: "bundle-sizes",
  async run(context) {
    const built = await context.build();
    const { budgets } = loadBudgets();
    const artifacts = measureBuild(context.template, built.buildDir).map((size): SizeRow => {
      const budget = budgets[size.id];
      return {
        ...size,
        budget: budget && { maxBytes: budget.maxBytes, maxGzipBytes: budget.maxGzipBytes },
        withinBudget: budget && size.bytes <= budget.maxBytes && size.gzipBytes <= budget.maxGzipBytes,
      };
    });
    const comparisons: BundleSizesResult["comparisons"] = FIXTURES.map((name) => {
      const content = readFileSync(built.fixture(name));
      return { id: name, bytes: content.length, gzipBytes: gzipSync(content, { level: 9 }).length };
    });
    const naiveLayer = join(built.naiveLayerNodeModules, "@tenantkit/tenant-context/index.js");
    comparisons.push({ id: "naive layer: its own code, unminified", bytes: statSync(naiveLayer).size, gzipBytes: 0 });

    const scratch = await mkdtemp(join(os.tmpdir(), "tenantkit-composition-"));
    try {
      const result: Record<string, PackageShare[]> = {};
      const layer = await buildLayer(scratch);
      if (layer.metafile) result.TenantContextLayer = composition(layer.metafile);
      const seen = new Set<string>();
      for (const [id, resource] of resourcesOfType(context.template, "AWS::Serverless::Function")) {
        const codeUri = String(resource.Properties?.CodeUri);
        if (seen.has(codeUri)) continue; // functions sharing a CodeUri share their bundle
        seen.add(codeUri);
        const options = esbuildOptionsFor(codeUri, resource.Metadata?.BuildProperties, join(scratch, id));
        const { metafile } = await build({ ...options, write: false, metafile: true });
        if (metafile) result[id] = composition(metafile);
      }
      return { artifacts, comparisons, composition: result };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  },
};
