import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAll } from "../../tools/local/build.ts";
import { loadTemplate } from "../../tools/local/template.ts";

let out: string;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "tenantkit-packaging-"));
  await buildAll(loadTemplate(), out);
}, 120_000);
afterAll(() => rm(out, { recursive: true, force: true }));

/** Runs a snippet in a fresh Node process that resolves the layer only from an /opt-shaped folder. */
async function runInLambdaShape(script: string): Promise<unknown> {
  const { stdout } = await promisify(execFile)(process.execPath, ["-e", script], {
    cwd: out,
    env: {
      PATH: process.env.PATH,
      NODE_PATH: join(out, "TenantContextLayer/nodejs/node_modules"),
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
  it("puts the layer in one file where Lambda resolves /opt/nodejs/node_modules", async () => {
    const layer = await readFile(
      join(out, "TenantContextLayer/nodejs/node_modules/@tenantkit/tenant-context/index.js"),
      "utf8",
    );
    expect(layer).toContain("tenant isolation violation");
  });

  it("keeps the layer out of every function bundle: they require it instead", async () => {
    for (const fn of [
      "AuthorizerFunction",
      "ProductsFunction",
      "ProductsExportFunction",
      "PreTokenGenerationFunction",
    ]) {
      const bundle = await readFile(join(out, fn, "handler.js"), "utf8");
      expect(bundle, fn).toContain('require("@tenantkit/tenant-context")');
      expect(bundle, fn).not.toContain("tenant isolation violation");
      expect(bundle, fn).not.toContain("AssumeRoleCommand");
    }
  });

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
      { cwd: out, env: { PATH: process.env.PATH, NODE_PATH: join(out, "TenantContextLayer/nodejs/node_modules") } },
    );
    expect(stdout).toMatch(/layers\/tenant-context\/src\/config\.ts:\d+/);
  });
});
