/** Sizes of what `sam build` would deploy: each function's handler bundle and each layer, minified and gzipped. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { parseHandler } from "../../tools/local/gateway/function-config.ts";
import { resourcesOfType, type Template } from "../../tools/local/template.ts";

export interface ArtifactSize {
  /** the template's logical id */
  id: string;
  kind: "function" | "layer";
  /** the code files measured, relative to the build root */
  files: string[];
  /** minified code as deployed (source maps excluded) */
  bytes: number;
  /** the same files gzipped at level 9, a proxy for the zip Lambda downloads */
  gzipBytes: number;
  /** source maps shipped beside the code (read at cold start with --enable-source-maps) */
  mapBytes: number;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((entry) => join(dir, entry))
    .filter((path) => statSync(path).isFile())
    .sort();
}

function measureFiles(id: string, kind: ArtifactSize["kind"], root: string, paths: string[]): ArtifactSize {
  const code = paths.filter((path) => !path.endsWith(".map"));
  const maps = paths.filter((path) => path.endsWith(".map"));
  let bytes = 0;
  let gzipBytes = 0;
  for (const path of code) {
    const content = readFileSync(path);
    bytes += content.length;
    gzipBytes += gzipSync(content, { level: 9 }).length;
  }
  const mapBytes = maps.reduce((sum, path) => sum + statSync(path).size, 0);
  return { id, kind, files: code.map((path) => relative(root, path)), bytes, gzipBytes, mapBytes };
}

/**
 * Measures every function and layer of the template in a build made by `buildAll(template, outRoot)`.
 * A function counts its handler file (and its source map); a layer counts every file it ships.
 */
export function measureBuild(template: Template, outRoot: string): ArtifactSize[] {
  const sizes: ArtifactSize[] = [];
  for (const [id] of resourcesOfType(template, "AWS::Serverless::LayerVersion")) {
    sizes.push(measureFiles(id, "layer", outRoot, filesUnder(join(outRoot, id))));
  }
  for (const [id, resource] of resourcesOfType(template, "AWS::Serverless::Function")) {
    const { file } = parseHandler(String(resource.Properties?.Handler));
    const handlerPath = join(outRoot, id, file);
    sizes.push(measureFiles(id, "function", outRoot, [handlerPath, `${handlerPath}.map`]));
  }
  return sizes;
}

/** A size budget for one artifact, with the reason for its number. */
export interface Budget {
  maxBytes: number;
  maxGzipBytes: number;
  reason: string;
}

export interface BudgetFile {
  budgets: Record<string, Budget>;
}

export const budgetsPath = new URL("../budgets.json", import.meta.url);

export function loadBudgets(): BudgetFile {
  return JSON.parse(readFileSync(budgetsPath, "utf8")) as BudgetFile;
}
