import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve, sep } from "node:path";
import { promisify } from "node:util";
import { build, type Metafile } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAll, esbuildOptionsFor } from "../../tools/local/build.ts";
import { type Json, loadTemplate, repoRoot, resourcesOfType } from "../../tools/local/template.ts";

const template = loadTemplate();
const LAYER_PACKAGE = "@tenantkit/tenant-context";
/** Where the layer's sources live: no function bundle may contain a file from here. */
const layerSources = join(repoRoot, "layers/tenant-context/src") + sep;

/** The template's tenant-context layer (the LayerVersion built from layers/tenant-context). */
const [layerId] = resourcesOfType(template, "AWS::Serverless::LayerVersion")
  .filter(([, layer]) => layer.Properties?.ContentUri === "layers/tenant-context")
  .map(([id]) => id);

/** Every function whose layers (Globals.Function.Layers plus its own; SAM appends lists) include the layer. */
const layerFunctions = resourcesOfType(template, "AWS::Serverless::Function")
  .filter(([, fn]) =>
    [...(template.Globals?.Function?.Layers ?? []), ...(fn.Properties?.Layers ?? [])].some(
      (layer: Json) => layer?.Ref === layerId,
    ),
  )
  .map(([id, fn]) => ({ id, codeUri: fn.Properties?.CodeUri as string, properties: fn.Metadata?.BuildProperties }));

let out: string;
/** Each function's esbuild result, rebuilt in memory with the options buildAll used, for its metafile. */
const rebuilt = new Map<string, { metafile: Metafile; files: { path: string; text: string }[] }>();

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "tenantkit-packaging-"));
  await buildAll(template, out);
  // buildAll keeps esbuild's metafiles to itself; the same options with `write: false` give them back
  // (and the bundle, which must match what buildAll wrote, so the metafile describes the shipped file).
  await Promise.all(
    layerFunctions.map(async ({ id, codeUri, properties }) => {
      const result = await build({ ...esbuildOptionsFor(codeUri, properties, join(out, id)), write: false });
      if (!result.metafile) throw new Error(`${id}: esbuild returned no metafile`);
      rebuilt.set(id, { metafile: result.metafile, files: result.outputFiles });
    }),
  );
}, 120_000);
afterAll(() => rm(out, { recursive: true, force: true }));

/** Runs a snippet in a fresh Node process that resolves the layer only from an /opt-shaped folder. */
async function runInLambdaShape(script: string): Promise<unknown> {
  const { stdout } = await promisify(execFile)(process.execPath, ["-e", script], {
    cwd: out,
    env: {
      PATH: process.env.PATH,
      NODE_PATH: join(out, layerId as string, "nodejs/node_modules"),
      AWS_REGION: "us-east-1",
      STAGE: "test",
      USER_POOL_ID: "us-east-1_TEST",
      USER_POOL_CLIENT_ID: "client",
      TENANTS_TABLE: "tenants",
      PRODUCTS_TABLE: "products",
      POWERTOOLS_LOG_LEVEL: "SILENT",
      POWERTOOLS_METRICS_DISABLED: "true",
    },
  });
  return JSON.parse(stdout.trim().split("\n").at(-1) as string);
}

describe("the layer packaging", () => {
  it("puts the layer in one file where Lambda resolves /opt/nodejs/node_modules, and nothing else", async () => {
    expect(layerId, "template.yaml has a LayerVersion built from layers/tenant-context").toBeDefined();
    const layerRoot = join(out, layerId as string);
    const files = (await readdir(layerRoot, { recursive: true, withFileTypes: true }))
      .filter((entry) => !entry.isDirectory())
      .map((entry) => relative(layerRoot, join(entry.parentPath, entry.name)).split(sep).join("/"))
      .sort();
    expect(files).toEqual([
      "nodejs/node_modules/@tenantkit/tenant-context/index.js",
      "nodejs/node_modules/@tenantkit/tenant-context/index.js.map",
    ]);
    const layer = await readFile(join(layerRoot, files[0] as string), "utf8");
    expect(layer).toContain("tenant isolation violation");
  });

  it("derives the layer's functions from the template, each building the layer as an external", () => {
    expect(layerFunctions.length, `no function of template.yaml uses ${layerId}`).toBeGreaterThan(0);
    for (const [id, fn] of resourcesOfType(template, "AWS::Serverless::Function")) {
      const usesLayer = layerFunctions.some((layerFunction) => layerFunction.id === id);
      const external = (fn.Metadata?.BuildProperties?.External ?? []).includes(LAYER_PACKAGE);
      // With the layer and not external: a second copy. External without the layer: nothing to require.
      expect(external, `${id}: uses the layer ${usesLayer}, builds ${LAYER_PACKAGE} as external ${external}`).toBe(
        usesLayer,
      );
    }
  });

  it.each(layerFunctions.map(({ id }) => [id]))(
    "keeps the layer out of the %s bundle: no layer source in it, it requires the layer instead",
    async (id) => {
      const built = rebuilt.get(id);
      if (!built) throw new Error(`${id} was not rebuilt`);
      // The metafile describes the files buildAll wrote, byte for byte (bundle and map).
      expect(built.files.length, id).toBeGreaterThan(0);
      for (const file of built.files) {
        expect(file.text, relative(out, file.path)).toBe(await readFile(file.path, "utf8"));
      }
      // A copy of the layer shows up as its sources among the inputs, however it was imported
      // (the package name with the external dropped, a relative path, a re-export through shared code).
      const inputs = Object.keys(built.metafile.inputs).map((input) => resolve(input));
      expect(inputs.length, id).toBeGreaterThan(0);
      expect(
        inputs.filter((input) => input.startsWith(layerSources) || input.includes(`/node_modules/${LAYER_PACKAGE}/`)),
        `${id} bundles layer sources`,
      ).toEqual([]);
      // Each entry bundle requires the layer at run time instead.
      const entries = Object.entries(built.metafile.outputs).filter(([, output]) => output.entryPoint);
      expect(entries.length, id).toBeGreaterThan(0);
      for (const [path, output] of entries) {
        expect(
          output.imports.some((imported) => imported.path === LAYER_PACKAGE && imported.external),
          `${id}: ${path} imports ${LAYER_PACKAGE} as an external`,
        ).toBe(true);
        expect(await readFile(resolve(path), "utf8"), path).toContain(`require("${LAYER_PACKAGE}")`);
        // The layer ships its package's entry only: a subpath (its testing module, a deep import)
        // is external too, and would fail to load in Lambda.
        expect(
          output.imports.filter((imported) => imported.path.startsWith(`${LAYER_PACKAGE}/`)).map((i) => i.path),
          `${id}: ${path} imports a subpath of ${LAYER_PACKAGE}`,
        ).toEqual([]);
      }
    },
  );

  it("runs the built authorizer with the layer resolved from the layer folder", async () => {
    const result = await runInLambdaShape(`
      const { handler } = require("./AuthorizerFunction/handler.js");
      handler({ type: "REQUEST", methodArn: "arn:aws:execute-api:us-east-1:1:a/s/GET/x", headers: {} })
        .then(() => console.log(JSON.stringify("allowed")), (e) => console.log(JSON.stringify(e.message)));
    `);
    expect(result).toBe("Unauthorized");
  });

  it("runs the built products function on an API Gateway event, layer from the layer folder", async () => {
    // Invoked directly (no authorizer context) and without a token: the layer's middleware answers.
    const result = (await runInLambdaShape(`
      globalThis.awslambda = { streamifyResponse: (fn) => fn, HttpResponseStream: { from: (s) => s } };
      const { handler } = require("./ProductsFunction/handler.js");
      const event = require(${JSON.stringify(join(process.cwd(), "events/products-list.json"))});
      const { authorizer, ...requestContext } = event.requestContext;
      handler({ ...event, requestContext }, {}).then((r) => console.log(JSON.stringify(r)));
    `)) as { statusCode: number; body: string; multiValueHeaders: Record<string, string[]> };
    expect(result.statusCode).toBe(401);
    expect(result.multiValueHeaders["content-type"]).toEqual(["application/problem+json"]);
    expect(JSON.parse(result.body)).toMatchObject({ title: "Unauthorized", status: 401 });
  });

  it("reads whether invocations run concurrently once per container, not on every Powertools store access", async () => {
    // layers/tenant-context/build.mjs makes Powertools read AWS_LAMBDA_MAX_CONCURRENCY once (one read
    // per bundled copy of Powertools commons); unpatched, each request reads it dozens of times.
    const result = (await runInLambdaShape(`
      globalThis.awslambda = { streamifyResponse: (fn) => fn, HttpResponseStream: { from: (s) => s } };
      let reads = 0;
      process.env = new Proxy(process.env, {
        get: (env, name) => ((name === "AWS_LAMBDA_MAX_CONCURRENCY" && reads++), Reflect.get(env, name)),
      });
      const { handler } = require("./ProductsFunction/handler.js");
      const event = require(${JSON.stringify(join(process.cwd(), "events/products-list.json"))});
      const { authorizer, ...requestContext } = event.requestContext;
      (async () => {
        const statuses = [];
        for (let i = 0; i < 20; i++) statuses.push((await handler({ ...event, requestContext }, {})).statusCode);
        console.log(JSON.stringify({ reads, statuses: [...new Set(statuses)] }));
      })();
    `)) as { reads: number; statuses: number[] };
    expect(result.statuses).toEqual([401]);
    expect(result.reads).toBeGreaterThan(0);
    expect(result.reads).toBeLessThanOrEqual(2);
  });

  it("ships source maps that name the TypeScript sources without embedding them, and stack traces use them", async () => {
    for (const map of [
      "TenantContextLayer/nodejs/node_modules/@tenantkit/tenant-context/index.js.map",
      "ProductsFunction/handler.js.map",
    ]) {
      const parsed = JSON.parse(await readFile(join(out, map), "utf8")) as {
        sources: string[];
        sourcesContent?: unknown;
      };
      expect(
        parsed.sources.some((source) => source.endsWith(".ts")),
        map,
      ).toBe(true);
      expect(parsed.sourcesContent, map).toBeUndefined();
    }
    // With --enable-source-maps (the template's NODE_OPTIONS), an error thrown in the layer points at its .ts file.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        "--enable-source-maps",
        "-e",
        `const { requireEnv } = require("@tenantkit/tenant-context");
         try { requireEnv("TENANTKIT_NOT_SET"); } catch (e) { console.log(e.stack.split("\\n")[1]); }`,
      ],
      { cwd: out, env: { PATH: process.env.PATH, NODE_PATH: join(out, layerId as string, "nodejs/node_modules") } },
    );
    expect(stdout).toMatch(/layers\/tenant-context\/src\/config\.ts:\d+/);
  });
});
