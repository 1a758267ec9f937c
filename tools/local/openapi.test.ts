import { beforeAll, describe, expect, it } from "vitest";
import { buildOpenApiDocument, LOCAL_ONLY_PATHS, type OpenApiDocument, SECURITY_SCHEME } from "./openapi.ts";
import { apiRoutes, loadTemplate } from "./template.ts";

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];
const template = loadTemplate();
let document: OpenApiDocument;

beforeAll(() => {
  document = buildOpenApiDocument();
}, 60_000);

/** Every operation of the document as `METHOD /path` with its operation object. */
function operations(doc: OpenApiDocument): [string, OpenApiDocument][] {
  return Object.entries<OpenApiDocument>(doc.paths).flatMap(([path, item]) =>
    Object.entries<OpenApiDocument>(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]): [string, OpenApiDocument] => [`${method.toUpperCase()} ${path}`, operation]),
  );
}

/** Follows a local `$ref` (`#/components/...`) to what it names. */
function deref(doc: OpenApiDocument, value: OpenApiDocument): OpenApiDocument {
  if (typeof value?.$ref !== "string") return value;
  return value.$ref
    .slice(2)
    .split("/")
    .reduce((node: OpenApiDocument, key: string) => node?.[key], doc);
}

describe("the OpenAPI document", () => {
  it("is OpenAPI 3.1 with a bearer JWT security scheme", () => {
    expect(document.openapi).toBe("3.1.0");
    expect(document.components.securitySchemes[SECURITY_SCHEME]).toEqual(
      expect.objectContaining({ type: "http", scheme: "bearer", bearerFormat: "JWT" }),
    );
  });

  it("describes every route of template.yaml, and no route that is not there", () => {
    const local = new Set<string>(LOCAL_ONLY_PATHS);
    const inTemplate = apiRoutes(template)
      .filter((route) => !local.has(route.path))
      .map((route) => `${route.method} ${route.path}`)
      .sort();
    const inDocument = operations(document)
      .map(([key]) => key)
      .filter((key) => !local.has(key.split(" ")[1] as string))
      .sort();
    expect(inDocument, "routes in the document but not in template.yaml, or the other way round").toEqual(inTemplate);
  });

  it("keeps the local stack's own routes out of the document", () => {
    for (const path of LOCAL_ONLY_PATHS) expect(document.paths[path], path).toBeUndefined();
  });

  it("asks for the bearer token exactly where the template's authorizer guards the route", () => {
    const routes = new Map(apiRoutes(template).map((route) => [`${route.method} ${route.path}`, route]));
    for (const [key, operation] of operations(document)) {
      const guarded = Boolean(routes.get(key)?.authorizer);
      expect(operation.security, key).toEqual(guarded ? [{ [SECURITY_SCHEME]: [] }] : []);
    }
  });

  it("documents every error as application/problem+json with the Problem schema", () => {
    for (const [key, operation] of operations(document)) {
      const errors = Object.entries<OpenApiDocument>(operation.responses).filter(([status]) => Number(status) >= 400);
      expect(
        errors.map(([status]) => status),
        key,
      ).toEqual(expect.arrayContaining(["400", "429", "500", "503"]));
      for (const [status, response] of errors) {
        const content = deref(document, response).content;
        expect(Object.keys(content), `${key} ${status}`).toEqual(["application/problem+json"]);
        expect(content["application/problem+json"].schema, `${key} ${status}`).toEqual({
          $ref: "#/components/schemas/Problem",
        });
      }
    }
  });

  it("documents 413 and 415 exactly on the operations that take a JSON body", () => {
    for (const [key, operation] of operations(document)) {
      const hasBody = operation.requestBody !== undefined;
      if (hasBody) expect(Object.keys(operation.requestBody.content), key).toEqual(["application/json"]);
      for (const status of ["413", "415"]) expect(status in operation.responses, `${key} ${status}`).toBe(hasBody);
    }
    expect(deref(document, { $ref: "#/components/responses/UnsupportedMediaType" }).description).toMatch(
      /Content-Type/,
    );
  });

  it("gives every success response with a body a schema, and every operation a unique id", () => {
    const ids = operations(document).map(([, operation]) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [key, operation] of operations(document)) {
      for (const [status, response] of Object.entries<OpenApiDocument>(operation.responses)) {
        if (Number(status) >= 400 || !response.content) continue;
        for (const [type, media] of Object.entries<OpenApiDocument>(response.content)) {
          expect(media.schema, `${key} ${status} ${type}`).toBeDefined();
        }
      }
    }
  });

  it("has a target for every $ref", () => {
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of new Set(refs)) {
      const target = deref(document, JSON.parse(`{${ref}}`));
      expect(target, ref).toBeDefined();
    }
  });
});
