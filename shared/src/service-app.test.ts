import { createRoute, z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { jsonBody, jsonResponse, problemResponses } from "./schemas.ts";
import { createPublicApp, fieldErrors } from "./service-app.ts";

/** A public app with one route: POST `path` takes a body of `schema` and answers it back, 201. */
function echoApp(path: string, schema: z.ZodObject) {
  const app = createPublicApp();
  app.openapi(
    createRoute({
      method: "post",
      path,
      request: { body: jsonBody(schema) },
      responses: { 201: jsonResponse(schema, "What was sent"), ...problemResponses },
    }),
    (c) => c.json(c.req.valid("json"), 201),
  );
  return app;
}

const Greeting = z.object({ name: z.string({ error: "is required" }) });
const app = echoApp("/greetings", Greeting);

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

describe("service app: a required field that was not sent", () => {
  const Order = z.object({
    name: z.string({ error: "must be text" }),
    count: z.number({ error: "must be a number" }),
    lines: z.array(z.object({ sku: z.string({ error: "must be text" }) })),
    role: z.enum(["admin", "user"], { error: "must be admin or user" }),
    size: z.union([z.literal("S"), z.literal("L")], { error: "must be S or L" }),
  });
  const orders = echoApp("/orders", Order);
  const errorsOf = async (body: unknown) => {
    const res = await orders.request("/orders", {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "Content-Type": "application/json" },
    });
    expect(res.status).toBe(400);
    return (await res.json()).errors;
  };

  it("is named as required, at any depth, instead of by the type it should have", async () => {
    expect(await errorsOf({ lines: [{}] })).toEqual([
      { location: "body", field: "name", message: "is required" },
      { location: "body", field: "count", message: "is required" },
      { location: "body", field: "lines.0.sku", message: "is required" },
      { location: "body", field: "role", message: "is required" },
      { location: "body", field: "size", message: "is required" },
    ]);
  });

  it("keeps the field's own message when it was sent with the wrong type, null included", async () => {
    expect(await errorsOf({ name: 7, count: null, lines: [{ sku: false }], role: "root", size: "M" })).toEqual([
      { location: "body", field: "name", message: "must be text" },
      { location: "body", field: "count", message: "must be a number" },
      { location: "body", field: "lines.0.sku", message: "must be text" },
      { location: "body", field: "role", message: "must be admin or user" },
      { location: "body", field: "size", message: "must be S or L" },
    ]);
  });

  it("does not take a name inherited from Object.prototype for a field that was sent", async () => {
    const Named = z.object({ constructor: z.string({ error: "must be text" }) });
    expect(fieldErrors(Named.safeParse({}).error as never, "json", {})).toEqual([
      { location: "body", field: "constructor", message: "is required" },
    ]);
  });
});
