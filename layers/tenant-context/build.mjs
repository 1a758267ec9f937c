// Bundles the layer into ONE file at <out>/nodejs/node_modules/@tenantkit/tenant-context/index.js,
// the path Lambda resolves from /opt. Used by the Makefile (sam build) and by the local stack.
import { mkdir, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));

/** Where the bundle lands inside a layer's root directory. */
export const LAYER_MODULE_PATH = "nodejs/node_modules/@tenantkit/tenant-context";

/** @param {string} outDir the layer's root (SAM's ARTIFACTS_DIR) */
export async function buildLayer(outDir) {
  const moduleDir = join(resolve(outDir), LAYER_MODULE_PATH);
  await rm(moduleDir, { recursive: true, force: true });
  await mkdir(moduleDir, { recursive: true });
  return build({
    entryPoints: [join(here, "src/index.ts")],
    outfile: join(moduleDir, "index.js"),
    bundle: true,
    platform: "node",
    target: "node24",
    format: "cjs",
    minify: true,
    // Maps name files and lines for stack traces; the sources themselves would triple the map that
    // Node reads at every cold start with --enable-source-maps (see docs/BENCHMARKS.md).
    sourcemap: true,
    sourcesContent: false,
    legalComments: "none",
    metafile: true,
    logLevel: "warning",
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2];
  if (!outDir) throw new Error("usage: node build.mjs <layer output directory>");
  await buildLayer(outDir);
}
