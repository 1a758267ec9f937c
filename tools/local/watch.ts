/** `npm run dev`'s file watcher: rebuilds only what a changed source file is bundled into and reloads those functions' workers. */
import { execFile } from "node:child_process";
import { type Dirent, existsSync, type FSWatcher, readdirSync, readFileSync, statSync, watch } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { basename, dirname, join, relative, resolve as resolvePath } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { esbuildOptionsFor } from "./build.ts";
import type { LocalLambda } from "./gateway/index.ts";
import { repoRoot, resourcesOfType, type Template } from "./template.ts";

export interface FunctionWatcherOptions {
  template: Template;
  /** where the first build put `<LogicalId>/` (its source maps say which files each bundle holds) */
  buildDir: string;
  /** the gateway's functions: after a rebuild their next invocation starts a fresh worker */
  lambda: Pick<LocalLambda, "reload">;
  progress: (line: string) => void;
  /** runs after a rebuild of service code, e.g. to write the OpenAPI document again */
  afterRebuild?: () => Promise<void>;
  /** folders to watch, relative to the repository; default the template's code folders and `shared` */
  roots?: string[];
  debounceMs?: number;
  /** how to build one function or layer; default esbuild / the layer's Makefile, as `npm run build` */
  rebuild?: { function: (logicalId: string) => Promise<void>; layer: (logicalId: string) => Promise<void> };
}

export interface FunctionWatcher {
  /** Handles changed files now (the file system watcher calls it); resolves with the logical ids rebuilt. */
  changed(paths: string[]): Promise<string[]>;
  close(): void;
}

const SOURCE_FILE = /\.(?:[cm]?[jt]s|json)$/;
const NOT_BUNDLED = /(?:^|\/)(?:node_modules|\.[^/]+)\/|\.test\.ts$/;

/** The first part of a path relative to the repository: `functions/products/app.ts` -> `functions`. */
const topFolder = (path: string) => path.split("/")[0] as string;

/**
 * Watches the source folders and, for each batch of changes, rebuilds the functions whose bundle
 * contains a changed file (read from the bundle's source map) or the layer whose folder holds it,
 * then reloads the workers of what was rebuilt (every function after a layer rebuild). moto and
 * its data are untouched. A failed build leaves the previous bundle and workers running.
 *
 * @example
 * const watcher = watchFunctions({ template, buildDir, lambda: gateway.lambda, progress: console.log });
 * watcher.close();
 */
export function watchFunctions(options: FunctionWatcherOptions): FunctionWatcher {
  const { template, buildDir, lambda, progress } = options;
  const functions = resourcesOfType(template, "AWS::Serverless::Function");
  const layers = resourcesOfType(template, "AWS::Serverless::LayerVersion");
  const rebuild = options.rebuild ?? {
    function: (id: string) => {
      const fn = template.Resources[id];
      return buildFunctionInPlace(fn?.Properties?.CodeUri, fn?.Metadata?.BuildProperties, join(buildDir, id));
    },
    layer: (id: string) => buildLayerInPlace(template.Resources[id]?.Properties?.ContentUri, join(buildDir, id)),
  };

  /** The repository files bundled into each function (absolute paths), from its entry's source map. */
  const inputs = new Map<string, Set<string> | undefined>();
  const readInputs = (id: string) => inputs.set(id, bundledFiles(template, buildDir, id));
  for (const [id] of functions) readInputs(id);

  const isInput = (id: string, file: string) => {
    const files = inputs.get(id);
    if (files) return files.has(file);
    // No source map: every file of its code folder counts.
    const codeUri = template.Resources[id]?.Properties?.CodeUri;
    return typeof codeUri === "string" && file.startsWith(join(repoRoot, codeUri, "/"));
  };

  let queue = Promise.resolve<string[]>([]);
  async function handle(paths: string[]): Promise<string[]> {
    const files = [...new Set(paths.map((path) => resolvePath(repoRoot, path)))].filter(
      (file) => SOURCE_FILE.test(file) && !NOT_BUNDLED.test(relative(repoRoot, file)),
    );
    const layerIds = layers
      .filter(([, layer]) => files.some((file) => file.startsWith(join(repoRoot, layer.Properties?.ContentUri, "/"))))
      .map(([id]) => id);
    const functionIds = functions.filter(([id]) => files.some((file) => isInput(id, file))).map(([id]) => id);
    const ids = [...layerIds, ...functionIds];
    if (ids.length === 0) return [];

    const started = performance.now();
    const names = files.map((file) => relative(repoRoot, file)).join(", ");
    progress(`… ${names} changed: rebuilding ${ids.join(", ")}`);
    try {
      await Promise.all([...layerIds.map(rebuild.layer), ...functionIds.map(rebuild.function)]);
    } catch (error) {
      progress(`✗ build failed, the previous build keeps running: ${(error as Error).message.split("\n")[0]}`);
      return [];
    }
    for (const id of functionIds) readInputs(id);
    lambda.reload(layerIds.length > 0 ? undefined : functionIds);
    const reloaded = layerIds.length > 0 ? "every function" : functionIds.join(", ");
    progress(`✓ rebuilt in ${Math.round(performance.now() - started)} ms: the next call of ${reloaded} starts fresh`);
    if (options.afterRebuild) {
      await options.afterRebuild().catch((error: unknown) => {
        progress(`✗ after the rebuild: ${(error as Error).message.split("\n")[0]}`);
      });
    }
    return ids;
  }

  // One batch at a time, so that two rebuilds of a function never overlap.
  const changed = (paths: string[]) => {
    queue = queue.then(() => handle(paths));
    return queue;
  };

  const roots =
    options.roots ??
    [
      ...new Set([
        ...functions.map(([, fn]) => topFolder(String(fn.Properties?.CodeUri))),
        ...layers.map(([, layer]) => topFolder(String(layer.Properties?.ContentUri))),
        "shared",
      ]),
    ].filter((root) => existsSync(join(repoRoot, root)));
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const trees = roots.map((root) =>
    watchTree(join(repoRoot, root), (path) => {
      pending.add(join(root, path));
      clearTimeout(timer);
      timer = setTimeout(() => {
        const paths = [...pending];
        pending.clear();
        void changed(paths);
      }, options.debounceMs ?? 150);
    }),
  );

  return {
    changed,
    close() {
      clearTimeout(timer);
      for (const tree of trees) tree.close();
    },
  };
}

/** Folders never watched: dependencies and hidden folders. */
const UNWATCHED_FOLDER = /^(?:node_modules|\..*)$/;

/**
 * Calls `changed` with the path (relative to `root`) of every file written, created, removed or
 * replaced anywhere below `root`, new folders included. Each folder has a watcher of its own: on
 * Linux, Node's `recursive` option watches files one by one and loses a file that an editor or
 * git saves by writing a new one and renaming it over the old; a folder's watcher sees every save.
 *
 * @example
 * const tree = watchTree(join(repoRoot, "functions"), (path) => console.log(path, "changed"));
 * tree.close();
 */
export function watchTree(root: string, changed: (path: string) => void): { close(): void } {
  const watchers = new Map<string, FSWatcher>();
  /** Watches `folder` and the folders below it; `announce` reports the files already in them (a folder just created). */
  const add = (folder: string, announce: boolean) => {
    if (watchers.has(folder)) return;
    let watcher: FSWatcher;
    let entries: Dirent[];
    try {
      watcher = watch(folder, (event, filename) => {
        if (!filename) return;
        const path = join(folder, filename.toString());
        changed(relative(root, path));
        if (event === "rename" && !UNWATCHED_FOLDER.test(filename.toString()) && isFolder(path)) add(path, true);
      });
    } catch {
      return; // gone before it could be watched
    }
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      watcher.close();
      return;
    }
    // A folder that is removed ends its watcher.
    watcher.on("error", () => {
      watcher.close();
      watchers.delete(folder);
    });
    watchers.set(folder, watcher);
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (!entry.isDirectory()) {
        if (announce) changed(relative(root, path));
      } else if (!UNWATCHED_FOLDER.test(entry.name)) {
        add(path, announce);
      }
    }
  };
  add(root, false);
  return {
    close() {
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The repository's files in a function's bundle (not node_modules), read from `<entry>.js.map`. */
function bundledFiles(template: Template, buildDir: string, id: string): Set<string> | undefined {
  const entries: string[] = template.Resources[id]?.Metadata?.BuildProperties?.EntryPoints ?? [];
  const files = new Set<string>();
  for (const entry of entries) {
    const map = join(buildDir, id, `${basename(entry).replace(/\.[cm]?[jt]s$/, "")}.js.map`);
    if (!existsSync(map)) return undefined;
    const { sources } = JSON.parse(readFileSync(map, "utf8")) as { sources: string[] };
    for (const source of sources) {
      const file = resolvePath(dirname(map), source);
      if (!file.includes("/node_modules/")) files.add(file);
    }
  }
  return files;
}

/** esbuild with the template's settings, writing over the previous bundle (no moment without one). */
async function buildFunctionInPlace(codeUri: string, properties: Record<string, unknown>, outDir: string) {
  await build({ ...esbuildOptionsFor(codeUri, properties, outDir), logLevel: "silent" });
}

/** The layer's Makefile target, as `sam build` and `npm run build` run it, built aside and then swapped in. */
async function buildLayerInPlace(contentUri: string, outDir: string) {
  const next = `${outDir}.next`;
  await rm(next, { recursive: true, force: true });
  await promisify(execFile)("make", ["-s", `build-${basename(outDir)}`, `ARTIFACTS_DIR=${next}`], {
    cwd: join(repoRoot, contentUri),
  });
  await rm(outDir, { recursive: true, force: true });
  await rename(next, outDir);
}
