/** The local stack's own pages: the merged OpenAPI document at /openapi.json and Swagger UI at /docs, offline. */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { SwaggerUI } from "@hono/swagger-ui";
import { problemResponse } from "./gateway/http-response.ts";
import type { GatewayHttpResponse } from "./gateway/index.ts";
import { repoRoot } from "./template.ts";

export const OPENAPI_PATH = "/openapi.json";
export const DOCS_PATH = "/docs";
/** Where the document is written while the stack runs (regenerated when a service's routes change). */
export const openApiDocumentPath = join(repoRoot, ".tenantkit/openapi.json");

const ASSETS_PATH = `${DOCS_PATH}/assets/swagger-ui-dist/`;
const assetsDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const ASSET_TYPES: Record<string, string> = {
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".png": "image/png",
};

/**
 * Writes the document in a fresh Node process, so that a changed service is read anew (modules
 * this process imported once would stay as they were).
 *
 * @example
 * await writeOpenApiDocument(openApiDocumentPath);
 */
export async function writeOpenApiDocument(outPath: string = openApiDocumentPath): Promise<void> {
  const script = join(repoRoot, "tools/local/openapi.ts");
  try {
    await promisify(execFile)(process.execPath, ["--import", "tsx", script, "--out", outPath], { cwd: repoRoot });
  } catch (error) {
    const output = String((error as { stderr?: string }).stderr ?? "").split("\n");
    const reason = output.find((line) => /Error/.test(line)) ?? (error as Error).message;
    throw new Error(`the OpenAPI document could not be built: ${reason.trim()}`);
  }
}

/** Swagger UI's page; its assets come from the `swagger-ui-dist` package through the gateway, not from a CDN. */
function docsPage(): string {
  // `baseUrl` + `/swagger-ui-dist/<file>` is where @hono/swagger-ui looks for the assets.
  const ui = SwaggerUI({ url: OPENAPI_PATH, baseUrl: `${DOCS_PATH}/assets`, persistAuthorization: true });
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Tenantkit API (local stack)</title>
  </head>
  <body>${ui}</body>
</html>
`;
}

async function asset(name: string): Promise<GatewayHttpResponse | undefined> {
  const type = ASSET_TYPES[name.slice(name.lastIndexOf("."))];
  // Only plain file names of the package's top folder: no path can leave it.
  if (!type || !/^[\w.-]+$/.test(name)) return undefined;
  try {
    const body = await readFile(join(assetsDir, name));
    return { statusCode: 200, headers: { "content-type": type, "cache-control": "max-age=3600" }, body };
  } catch {
    return undefined;
  }
}

/**
 * The gateway's `localRoutes`: `GET /openapi.json` (the document, with this stack as its first
 * server), `GET /docs` (Swagger UI) and its assets. Anything else goes on to the API's routes.
 *
 * @example
 * await startGateway({ ...options, localRoutes: openApiDocsRoutes() });
 */
export function openApiDocsRoutes(documentPath: string = openApiDocumentPath) {
  return async (method: string, path: string): Promise<GatewayHttpResponse | undefined> => {
    if (method !== "GET") return undefined;
    if (path === OPENAPI_PATH) {
      const text = await readFile(documentPath, "utf8").catch(() => undefined);
      if (text === undefined) {
        return problemResponse(503, "The OpenAPI document could not be built; the start-up log says why.");
      }
      const document = JSON.parse(text);
      document.servers = [{ url: "/", description: "This local stack" }, ...(document.servers ?? [])];
      return {
        statusCode: 200,
        headers: { "content-type": "application/json; charset=utf-8" },
        body: JSON.stringify(document),
      };
    }
    if (path === DOCS_PATH || path === `${DOCS_PATH}/`) {
      return { statusCode: 200, headers: { "content-type": "text/html; charset=utf-8" }, body: docsPage() };
    }
    if (path.startsWith(ASSETS_PATH)) return asset(path.slice(ASSETS_PATH.length));
    return undefined;
  };
}
