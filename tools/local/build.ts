/** Builds every function and layer of template.yaml the way `sam build` does, into .tenantkit/build, without Docker. */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type BuildOptions, build } from "esbuild";
import { type Json, loadTemplate, repoRoot, resourcesOfType, type Template } from "./template.ts";

/**
 * Outside the repository on purpose: inside it, Node would resolve `@tenantkit/tenant-context`
 * from the workspace's node_modules (the TypeScript source) before NODE_PATH (the built layer),
 * and the local stack would not run what Lambda runs.
 */
export const buildDir = join(
  tmpdir(),
  `tenantkit-${createHash("sha256").update(repoRoot).digest("hex").slice(0, 12)}`,
  "build",
);

/** The esbuild options SAM derives from `Metadata.BuildProperties` (same names, same meaning). */
export function esbuildOptionsFor(codeUri: string, properties: Json, outDir: string): BuildOptions {
  return {
    entryPoints: (properties.EntryPoints as string[]).map((entry) => join(repoRoot, codeUri, entry)),
    outdir: outDir,
    bundle: true,
    platform: properties.Platform ?? "node",
    format: properties.Format ?? "cjs",
    target: properties.Target ?? "es2020",
    minify: properties.Minify ?? true,
    sourcemap: properties.Sourcemap ?? false,
    // SAM hands string properties to esbuild as flags (`--sources-content=false`)
    sourcesContent: properties.SourcesContent !== "false",
    external: properties.External ?? [],
    metafile: true,
    logLevel: "warning",
  };
}

async function buildFunction(logicalId: string, codeUri: string, properties: Json, outRoot: string) {
  const outDir = join(outRoot, logicalId);
  await rm(outDir, { recursive: true, force: true });
  return build(esbuildOptionsFor(codeUri, properties, outDir));
}

/** Runs the layer's Makefile target `build-<LogicalId>` with ARTIFACTS_DIR, as `sam build` does. */
async function buildMakefileLayer(logicalId: string, contentUri: string, outRoot: string) {
  const outDir = join(outRoot, logicalId);
  await rm(outDir, { recursive: true, force: true });
  await promisify(execFile)("make", ["-s", `build-${logicalId}`, `ARTIFACTS_DIR=${outDir}`], {
    cwd: join(repoRoot, contentUri),
  });
}

/** Builds everything; returns the logical ids built. */
export async function buildAll(template: Template = loadTemplate(), outRoot = buildDir): Promise<string[]> {
  const jobs: [string, Promise<unknown>][] = [];
  for (const [id, layer] of resourcesOfType(template, "AWS::Serverless::LayerVersion")) {
    if (layer.Metadata?.BuildMethod !== "makefile") throw new Error(`${id}: only makefile layers are supported`);
    jobs.push([id, buildMakefileLayer(id, layer.Properties?.ContentUri, outRoot)]);
  }
  for (const [id, fn] of resourcesOfType(template, "AWS::Serverless::Function")) {
    if (fn.Metadata?.BuildMethod !== "esbuild") throw new Error(`${id}: only esbuild functions are supported`);
    jobs.push([id, buildFunction(id, fn.Properties?.CodeUri, fn.Metadata.BuildProperties, outRoot)]);
  }
  await Promise.all(jobs.map(([, job]) => job));
  // In Lambda no package.json says "module". The default build folder has none above it either,
  // but a caller may build below one that does (the repository's): say CommonJS explicitly.
  await mkdir(outRoot, { recursive: true });
  await writeFile(join(outRoot, "package.json"), '{ "type": "commonjs" }\n');
  return jobs.map(([id]) => id);
}

if (process.argv[1] === import.meta.filename) {
  const started = performance.now();
  const built = await buildAll();
  console.log(`built ${built.join(", ")} into ${buildDir} in ${Math.round(performance.now() - started)} ms`);
}
