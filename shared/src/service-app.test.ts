import { createRoute, z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { jsonBody, jsonResponse, problemResponses } from "./schemas.ts";
import { createPublicApp } from "./service-app.ts";

const Greeting = z.object({ name: z.string({ error: "is required" }) });
const app = createPublicApp();
app.openapi(
  createRoute({
    method: "post",
    path: "/greetings",
    request: { body: jsonBody(Greeting) },
    responses: { 201: jsonResponse(Greeting, "The greeting"), ...problemResponses },
  }),
  (c) => c.json(c.req.valid("json"), 201),
);

const post = (body: BodyInit, headers: Record<string, string>) =>
  app.request("/greetings", { method: "POST", body, headers });
const json = new TextEncoder().encode(JSON.stringify({ name: "Ada" }));

describe("service app: the Content-Type of a JSON route", () => {
  for (const [label, headers] of [
    ["text/plain", { "Content-Type": "text/plain" }],
    ["application/xml", { "Content-Type": "application/xml" }],
    ["no Content-Type", {}],
  ] as const) {
    it(`answers a body sent as ${label} with 415 problem+json naming the header`, async () => {
      const res = await post(json, headers);
      expect(res.status).toBe(415);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(await res.json()).toEqual({
        type: "about:blank",
        title: "Unsupported Media Type",
        status: 415,
        detail: "header field 'Content-Type': must be application/json",
        errors: [{ location: "header", field: "Content-Type", message: "must be application/json" }],
      });
    });
  }

  it("accepts application/json, with a charset too", async () => {
    expect((await post(json, { "Content-Type": "application/json" })).status).toBe(201);
    expect((await post(json, { "Content-Type": "application/json; charset=utf-8" })).status).toBe(201);
  });

  it("still answers JSON that does not parse with 400 naming the body", async () => {
    const res = await post("{nope", { "Content-Type": "application/json" });
    expect(res.status).toBe(400);
    expect((await res.json()).errors[0]).toMatchObject({ location: "body", field: "(root)" });
  });
});
