// Bundles the layer into ONE file at <out>/nodejs/node_modules/@tenantkit/tenant-context/index.js,
// the path Lambda resolves from /opt. Used by the Makefile (sam build) and by the local stack.
import { mkdir, readFile, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));

/** Where the bundle lands inside a layer's root directory. */
export const LAYER_MODULE_PATH = "nodejs/node_modules/@tenantkit/tenant-context";

/**
 * Powertools (2.35, 2.36) keeps the Logger's and Metrics' per-request state in stores that ask, on
 * every read and write, whether invocations run concurrently: `shouldUseInvokeStore()` reads
 * `AWS_LAMBDA_MAX_CONCURRENCY` from `process.env` each time, a call into the C++ environment
 * accessor. A request's logging and metrics make dozens of such reads: about 6 µs of the warm
 * path on the bench machine (docs/BENCHMARKS.md). Lambda sets the variable when it creates the
 * execution environment and never changes it, so the layer's bundle reads it once. The build fails
 * if a Powertools release no longer has the function as written, so an upgrade cannot drop this
 * silently (and may make it unnecessary).
 * @type {import("esbuild").Plugin}
 */
const concurrencyReadOnce = {
  name: "powertools-concurrency-read-once",
  setup(build) {
    const readEachTime = `const shouldUseInvokeStore = () => {
    const res = getStringFromEnv({
        key: AWS_LAMBDA_MAX_CONCURRENCY,
        defaultValue: '',
    });
    return res !== '';
};`;
    const readOnce = `let invokeStoreInUse;
const shouldUseInvokeStore = () => (invokeStoreInUse ??= getStringFromEnv({
    key: AWS_LAMBDA_MAX_CONCURRENCY,
    defaultValue: '',
}) !== '');`;
    let patched = 0;
    build.onStart(() => {
      patched = 0;
    });
    build.onLoad(
      { filter: /[\\/]@aws-lambda-powertools[\\/]commons[\\/]lib[\\/](esm|cjs)[\\/]envUtils\.js$/ },
      async (args) => {
        const source = await readFile(args.path, "utf8");
        if (source.split(readEachTime).length !== 2) {
          throw new Error(
            `${args.path}: shouldUseInvokeStore is not as this build expects; review ${concurrencyReadOnce.name}`,
          );
        }
        patched += 1;
        return { contents: source.replace(readEachTime, readOnce), loader: "js" };
      },
    );
    build.onEnd((result) => {
      if (result.errors.length === 0 && patched === 0) {
        throw new Error(`${concurrencyReadOnce.name}: no Powertools envUtils.js was bundled; review the plugin`);
      }
    });
  },
};

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
    plugins: [concurrencyReadOnce],
    metafile: true,
    logLevel: "warning",
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2];
  if (!outDir) throw new Error("usage: node build.mjs <layer output directory>");
  await buildLayer(outDir);
}
