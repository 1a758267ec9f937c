import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { FunctionPool } from "./gateway/function-pool.ts";
import { parseTemplate, repoRoot } from "./template.ts";
import { watchFunctions, watchTree } from "./watch.ts";

const temp = mkdtempSync(join(tmpdir(), "tenantkit-watch-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const template = parseTemplate(`
Resources:
  Layer:
    Type: AWS::Serverless::LayerVersion
    Properties: { ContentUri: layers/tenant-context }
  ProductsFunction:
    Type: AWS::Serverless::Function
    Properties: { CodeUri: functions/products, Handler: handler.handler }
    Metadata: { BuildMethod: esbuild, BuildProperties: { EntryPoints: [handler.ts] } }
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties: { CodeUri: functions/orders, Handler: handler.handler }
    Metadata: { BuildMethod: esbuild, BuildProperties: { EntryPoints: [handler.ts] } }
`);

/** A build folder whose source maps say which repository files each bundle holds. */
function buildDirWith(bundles: Record<string, string[]>): string {
  const dir = mkdtempSync(join(temp, "build-"));
  for (const [id, files] of Object.entries(bundles)) {
    mkdirSync(join(dir, id));
    const sources = [...files.map((file) => relative(join(dir, id), join(repoRoot, file))), "../node_modules/x.js"];
    writeFileSync(join(dir, id, "handler.js.map"), JSON.stringify({ version: 3, sources }));
  }
  return dir;
}

function watcherOver(bundles: Record<string, string[]>, failing: string[] = []) {
  const built: string[] = [];
  const reloads: (string[] | undefined)[] = [];
  const lines: string[] = [];
  const build = async (id: string) => {
    if (failing.includes(id)) throw new Error(`${id}: Expected ";" but found "}"`);
    built.push(id);
  };
  const watcher = watchFunctions({
    template,
    buildDir: buildDirWith(bundles),
    lambda: { reload: (ids) => reloads.push(ids) },
    progress: (line) => lines.push(line),
    roots: [],
    rebuild: { function: build, layer: build },
  });
  return { watcher, built, reloads, lines };
}

const BUNDLES = {
  ProductsFunction: ["functions/products/handler.ts", "functions/products/app.ts", "shared/src/schemas.ts"],
  OrdersFunction: ["functions/orders/handler.ts", "shared/src/schemas.ts"],
};

describe("the dev file watcher", () => {
  it("rebuilds and reloads only the functions whose bundle holds the changed file", async () => {
    const { watcher, built, reloads } = watcherOver(BUNDLES);
    expect(await watcher.changed(["functions/products/app.ts"])).toEqual(["ProductsFunction"]);
    expect(built).toEqual(["ProductsFunction"]);
    expect(reloads).toEqual([["ProductsFunction"]]);
  });

  it("rebuilds every function that bundles a shared file", async () => {
    const { watcher, reloads } = watcherOver(BUNDLES);
    await watcher.changed(["shared/src/schemas.ts"]);
    expect(reloads).toEqual([["ProductsFunction", "OrdersFunction"]]);
  });

  it("rebuilds the layer and reloads every function when a layer source changes", async () => {
    const { watcher, built, reloads } = watcherOver(BUNDLES);
    await watcher.changed(["layers/tenant-context/src/http/errors.ts"]);
    expect(built).toEqual(["Layer"]);
    expect(reloads).toEqual([undefined]);
  });

  it("ignores tests and files no bundle holds", async () => {
    const { watcher, built, reloads } = watcherOver(BUNDLES);
    expect(await watcher.changed(["functions/products/app.test.ts", "functions/users/app.ts", "README.md"])).toEqual(
      [],
    );
    expect(built).toEqual([]);
    expect(reloads).toEqual([]);
  });

  it("keeps the previous build running when the build fails", async () => {
    const { watcher, reloads, lines } = watcherOver(BUNDLES, ["ProductsFunction"]);
    expect(await watcher.changed(["functions/products/app.ts"])).toEqual([]);
    expect(reloads).toEqual([]);
    expect(lines.at(-1)).toMatch(/^✗ build failed, the previous build keeps running: ProductsFunction: Expected/);
  });

  it("counts every file of the code folder when a bundle has no source map", async () => {
    const { watcher, reloads } = watcherOver({ ProductsFunction: BUNDLES.ProductsFunction });
    await watcher.changed(["functions/orders/use-cases/place-order.ts"]);
    expect(reloads).toEqual([["OrdersFunction"]]);
  });
});

describe("a function pool after reload()", () => {
  it("runs the rebuilt bundle in a fresh worker on the next invocation", async () => {
    const taskRoot = mkdtempSync(join(temp, "fn-"));
    const bundlePath = join(taskRoot, "handler.js");
    const version = (v: number) => `exports.handler = async () => ({ version: ${v}, pid: process.pid });\n`;
    writeFileSync(bundlePath, version(1));
    const pool = new FunctionPool(
      {
        functionId: "Fixture",
        functionName: "Fixture",
        invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:Fixture",
        taskRoot,
        bundlePath,
        exportName: "handler",
        timeoutSeconds: 10,
        nodeArguments: [],
        env: {},
      },
      { log: () => {} },
    );
    try {
      const first = await pool.invoke({});
      writeFileSync(bundlePath, version(2));
      expect(await pool.invoke({}), "a warm worker keeps the code it loaded").toEqual(first);

      pool.reload();
      const second = await pool.invoke({});

      expect(first).toMatchObject({ status: "succeeded", payload: { version: 1 } });
      expect(second).toMatchObject({ status: "succeeded", payload: { version: 2 } });
      const pid = (outcome: typeof first) =>
        outcome.status === "succeeded" ? (outcome.payload as { pid: number }).pid : 0;
      expect(pid(second)).not.toBe(pid(first));
      expect(pool.workerPids).toEqual([pid(second)]);
    } finally {
      await pool.close();
    }
  });
});

describe("watchTree", () => {
  it("sees every save of a file, also after one that replaced it by a rename, and files in new folders", async () => {
    const root = mkdtempSync(join(temp, "tree-"));
    mkdirSync(join(root, "src"));
    const file = join(root, "src", "app.ts");
    writeFileSync(file, "1");
    const seen = new Set<string>();
    const tree = watchTree(root, (path) => seen.add(path));
    /** Runs `save` and waits until the watcher reports `path`. */
    const expectSeen = async (path: string, save: () => void) => {
      seen.clear();
      save();
      await vi.waitFor(() => expect(seen).toContain(path), { timeout: 2_000 });
    };
    try {
      await expectSeen("src/app.ts", () => appendFileSync(file, "2"));
      // How editors and git save: a new file renamed over the old one.
      await expectSeen("src/app.ts", () => {
        writeFileSync(`${file}.tmp`, "3");
        renameSync(`${file}.tmp`, file);
      });
      await expectSeen("src/app.ts", () => appendFileSync(file, "4"));
      await expectSeen("src/new/routes.ts", () => {
        mkdirSync(join(root, "src", "new"));
        writeFileSync(join(root, "src", "new", "routes.ts"), "5");
      });
      await expectSeen("src/new/routes.ts", () => appendFileSync(join(root, "src", "new", "routes.ts"), "6"));
    } finally {
      tree.close();
    }
  });
});
