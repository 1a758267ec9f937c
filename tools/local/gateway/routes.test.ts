import { describe, expect, it } from "vitest";
import { type ApiRoute, apiRoutes, loadTemplate } from "../template.ts";
import { matchRoute } from "./routes.ts";

const route = (method: string, path: string, functionId = "Fn"): ApiRoute => ({
  functionId,
  eventId: `${method} ${path}`,
  method,
  path,
  streaming: false,
  authorizer: undefined,
});

const routes = [
  route("GET", "/products", "Products"),
  route("POST", "/products", "Products"),
  route("GET", "/products/{id}", "Products"),
  route("DELETE", "/products/{id}", "Products"),
  route("GET", "/products/export", "ProductsExport"),
  route("ANY", "/files/{proxy+}", "Files"),
  route("GET", "/files/readme", "Readme"),
  route("GET", "/", "Root"),
];

describe("matchRoute", () => {
  it("prefers a literal segment over a path parameter, whatever the declaration order", () => {
    const match = matchRoute(routes, "GET", "/products/export");

    expect(match).toMatchObject({ kind: "matched", route: { functionId: "ProductsExport" }, pathParameters: null });
  });

  it("fills path parameters, still percent-encoded as API Gateway REST leaves them", () => {
    const match = matchRoute(routes, "GET", "/products/a%2Fb");

    expect(match).toMatchObject({
      kind: "matched",
      route: { path: "/products/{id}" },
      pathParameters: { id: "a%2Fb" },
    });
  });

  it("gives a greedy parameter the rest of the path, and lets a literal resource win over it", () => {
    expect(matchRoute(routes, "PUT", "/files/a/b/c.txt")).toMatchObject({
      route: { functionId: "Files" },
      pathParameters: { proxy: "a/b/c.txt" },
    });
    expect(matchRoute(routes, "GET", "/files/readme")).toMatchObject({ route: { functionId: "Readme" } });
  });

  it("does not let a greedy parameter match nothing", () => {
    expect(matchRoute(routes, "GET", "/files/")).toEqual({ kind: "not-found" });
  });

  it("matches the root resource", () => {
    expect(matchRoute(routes, "GET", "/")).toMatchObject({ route: { functionId: "Root" } });
  });

  it("answers not-found for a path no resource matches", () => {
    expect(matchRoute(routes, "GET", "/orders")).toEqual({ kind: "not-found" });
    expect(matchRoute(routes, "GET", "/products/1/extra")).toEqual({ kind: "not-found" });
  });

  it("refuses a method the best resource lacks instead of falling back to a less specific one", () => {
    const match = matchRoute(routes, "DELETE", "/products/export");

    expect(match).toEqual({ kind: "method-not-allowed", allowedMethods: ["GET"] });
  });

  it("lists every method of the resource when the method is not allowed", () => {
    expect(matchRoute(routes, "PATCH", "/products")).toEqual({
      kind: "method-not-allowed",
      allowedMethods: ["GET", "POST"],
    });
  });

  it("sends template.yaml's /products/export to the streaming export function", () => {
    const match = matchRoute(apiRoutes(loadTemplate()), "GET", "/products/export");

    expect(match).toMatchObject({ kind: "matched", route: { path: "/products/export", streaming: true } });
  });
});
