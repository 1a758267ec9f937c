/**
 * Builds what the benchmarks run: the template's functions and layer (as `sam build` would), the
 * comparison bundles (bare Hono, the AWS SDK floor) and a naive layer (its npm dependencies left
 * as a plain node_modules). Everything goes OUTSIDE the repository: from inside it, Node's
 * node_modules lookup would find the workspace's `@tenantkit/tenant-context` (TypeScript source)
 * before NODE_PATH reaches the built layer, which is not how Lambda resolves it.
 */
import { mkdir, readdir, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { buildAll, esbuildOptionsFor } from "../../tools/local/build.ts";
import { type Json, repoRoot, type Template } from "../../tools/local/template.ts";

export const benchRoot = join(os.tmpdir(), "tenantkit-bench");
/** `buildAll` output: `<id>/handler.js` per function, `TenantContextLayer/nodejs/node_modules/...` */
export const benchBuildDir = join(benchRoot, "build");
/** comparison bundles: `<name>/<name>.js`, each exporting `handler` */
export const fixturesDir = join(benchRoot, "fixtures");
/** the layer with its own code in one file and every npm dependency left in node_modules */
export const naiveLayerDir = join(benchRoot, "naive-layer");

export const FIXTURES = ["hono-hello", "sdk-floor-products", "sdk-floor-authorizer"] as const;
export type Fixture = (typeof FIXTURES)[number];

export interface BenchBuild {
  buildDir: string;
  fixture(name: Fixture): string;
  /** the `nodejs/node_modules` directory of the naive layer, for NODE_PATH */
  naiveLayerNodeModules: string;
  /** the `nodejs/node_modules` directory of the built (bundled) layer, for NODE_PATH */
  layerNodeModules: string;
}

/** The comparison bundles get exactly the products functions' build settings (format, target, minify, source maps). */
async function buildFixtures(template: Template): Promise<void> {
  const properties: Json = template.Resources.ProductsFunction?.Metadata?.BuildProperties;
  if (!properties) throw new Error("template.yaml: ProductsFunction has no BuildProperties to copy");
  await rm(fixturesDir, { recursive: true, force: true });
  await Promise.all(
    FIXTURES.map((name) =>
      build(
        esbuildOptionsFor(
          "bench/support/fixtures",
          { ...properties, EntryPoints: [`${name}.ts`] },
          join(fixturesDir, name),
        ),
      ),
    ),
  );
}

/**
 * The layer as many projects ship one: its own code compiled, `npm install`ed dependencies beside
 * it. The dependencies are symbolic links to this repository's node_modules, which Node resolves
 * to the real files, so every module loads from its published, unbundled form.
 */
async function buildNaiveLayer(): Promise<void> {
  const nodeModules = join(naiveLayerDir, "nodejs", "node_modules");
  const moduleDir = join(nodeModules, "@tenantkit", "tenant-context");
  await rm(naiveLayerDir, { recursive: true, force: true });
  await mkdir(moduleDir, { recursive: true });
  await build({
    entryPoints: [join(repoRoot, "layers/tenant-context/src/index.ts")],
    outfile: join(moduleDir, "index.js"),
    bundle: true,
    packages: "external",
    platform: "node",
    target: "node24",
    format: "cjs",
    logLevel: "warning",
  });
  await writeFile(join(moduleDir, "package.json"), '{ "name": "@tenantkit/tenant-context", "main": "index.js" }\n');
  const installed = join(repoRoot, "node_modules");
  for (const entry of await readdir(installed)) {
    if (entry === ".bin" || entry.startsWith(".") || entry === "@tenantkit") continue;
    await symlink(join(installed, entry), join(nodeModules, entry));
  }
}

let built: Promise<BenchBuild> | undefined;

/** Builds once per process; every benchmark of a run measures the same build. */
export function benchBuild(template: Template): Promise<BenchBuild> {
  built ??= (async () => {
    await mkdir(benchRoot, { recursive: true });
    // In Lambda no package.json says "module"; the comparison bundles are CommonJS like the functions.
    await writeFile(join(benchRoot, "package.json"), '{ "type": "commonjs" }\n');
    await Promise.all([buildAll(template, benchBuildDir), buildFixtures(template), buildNaiveLayer()]);
    return {
      buildDir: benchBuildDir,
      fixture: (name) => join(fixturesDir, name, `${name}.js`),
      naiveLayerNodeModules: join(naiveLayerDir, "nodejs", "node_modules"),
      layerNodeModules: join(benchBuildDir, "TenantContextLayer", "nodejs", "node_modules"),
    };
  })();
  return built;
}
