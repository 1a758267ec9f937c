import { Writable } from "node:stream";
import type { APIGatewayProxyEvent, Context as LambdaContext } from "aws-lambda";
import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { logger } from "../observability/logger.ts";
import { captureOutput, restProxyEvent } from "../testing/index.ts";
import { handle, requestOf, streamHandle } from "./lambda-handlers.ts";

/** A REST API (v1) proxy event, as API Gateway sends it, on its own domain; `overrides` replace its fields. */
const restEvent = (overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent =>
  restProxyEvent({
    requestContext: { requestId: "req-1", domainName: "abc123.execute-api.eu-west-1.amazonaws.com" } as never,
    ...overrides,
  });

describe("requestOf", () => {
  it("keeps every value of a multi-value header and query parameter, on API Gateway's domain", () => {
    const request = requestOf(
      restEvent({
        multiValueHeaders: { Host: ["api.test"], Accept: ["application/json", "text/plain"] },
        multiValueQueryStringParameters: { tag: ["a b", "c&d"], limit: ["2"] },
        queryStringParameters: { tag: "c&d", limit: "2" },
      }),
    );
    const url = new URL(request.url);
    expect(url.host).toBe("abc123.execute-api.eu-west-1.amazonaws.com");
    expect(url.pathname).toBe("/products");
    expect(url.searchParams.getAll("tag")).toEqual(["a b", "c&d"]);
    expect(url.searchParams.get("limit")).toBe("2");
    expect(request.headers.get("accept")).toBe("application/json, text/plain");
  });

  it("takes a Host that is not a host for none: it neither moves the path nor fails the request", () => {
    for (const domainName of ["x/y", "a b", "x?", "x#", "localhost:99999", "999.999.999.999"]) {
      const url = new URL(requestOf(restEvent({ requestContext: { domainName } as never })).url);
      expect({ domainName, host: url.host, path: url.pathname }).toEqual({
        domainName,
        host: "localhost",
        path: "/products",
      });
    }
    expect(new URL(requestOf(restEvent({ requestContext: { domainName: "127.0.0.1:3000" } as never })).url).host).toBe(
      "127.0.0.1:3000",
    );
  });

  it("falls back to the single-value maps when the multi-value ones are absent", () => {
    const request = requestOf(
      restEvent({
        multiValueHeaders: undefined as never,
        headers: { Host: "api.test", "X-Correlation-Id": "c-1" },
        queryStringParameters: { limit: "5" },
        requestContext: { requestId: "req-1" } as never,
      }),
    );
    expect(request.url).toBe("https://api.test/products?limit=5");
    expect(request.headers.get("x-correlation-id")).toBe("c-1");
  });

  it("decodes a base64 body and says its length; percent-encodes a header value beyond ASCII", async () => {
    const body = JSON.stringify({ name: "Café ☕" });
    const request = requestOf(
      restEvent({
        httpMethod: "POST",
        body: Buffer.from(body).toString("base64"),
        isBase64Encoded: true,
        multiValueHeaders: { Host: ["api.test"], "X-Note": ["naïve ☕"] },
      }),
    );
    expect(request.method).toBe("POST");
    expect(await request.text()).toBe(body);
    expect(request.headers.get("content-length")).toBe(String(Buffer.byteLength(body)));
    expect(request.headers.get("x-note")).toBe(encodeURIComponent("naïve ☕"));
  });
});

describe("streamHandle", () => {
  const globals = globalThis as { awslambda?: unknown };
  afterEach(() => {
    delete globals.awslambda;
  });

  /**
   * Invokes `app` as Lambda's streaming runtime does; what the client got. As in AWS's runtime, the
   * status and headers given to `HttpResponseStream.from` go out with the first write, not before:
   * a stream only ended sends none (aws-lambda-nodejs-runtime-interface-client#97).
   */
  async function invoke(app: Hono, event: APIGatewayProxyEvent) {
    type Metadata = { statusCode: number; headers: Record<string, string> };
    const sent: { metadata?: Metadata; body: string } = { body: "" };
    let pending: Metadata | undefined;
    globals.awslambda = {
      streamifyResponse: (fn: unknown) => fn,
      HttpResponseStream: {
        from: (stream: Writable, metadata: Metadata) => {
          pending = metadata;
          return stream;
        },
      },
    };
    const responseStream = new Writable({
      write(chunk, _encoding, done) {
        sent.metadata ??= pending;
        sent.body += String(chunk);
        done();
      },
    });
    await streamHandle(app)(event, responseStream, {} as LambdaContext);
    expect(responseStream.writableEnded).toBe(true);
    return { ...sent, problem: sent.body ? JSON.parse(sent.body) : undefined };
  }

  it("sends the status and headers of an answer without a body, or with an empty one", async () => {
    const app = new Hono()
      .delete("/products", (c) => c.body(null, 204))
      .get("/products", (c) =>
        c.body(new ReadableStream({ start: (controller) => controller.close() }), 200, { "x-empty": "yes" }),
      );
    expect((await invoke(app, restEvent({ httpMethod: "DELETE" }))).metadata).toMatchObject({ statusCode: 204 });
    expect((await invoke(app, restEvent())).metadata).toMatchObject({ statusCode: 200, headers: { "x-empty": "yes" } });
  });

  it("answers 400 problem+json to a GET with a body, with its own correlation id and none of the last request's keys", async () => {
    logger.appendKeys({ tenant_id: "acme", user_id: "user-9", correlation_id: "the-last-request" });
    const app = new Hono().get("/products", (c) => c.text("listed"));
    const output = captureOutput();
    let sent: Awaited<ReturnType<typeof invoke>>;
    try {
      sent = await invoke(app, restEvent({ body: "{}" }));
    } finally {
      output.restore();
      logger.resetKeys();
    }
    expect(sent.metadata).toMatchObject({ statusCode: 400, headers: { "x-correlation-id": "req-1" } });
    expect(sent.problem.errors).toEqual([
      { location: "body", field: "(root)", message: "is not allowed on a GET request" },
    ]);
    const [line] = output.lines();
    expect(line).toMatchObject({ level: "WARN", message: "the request could not be read", correlation_id: "req-1" });
    expect(line).not.toHaveProperty("tenant_id");
    expect(line).not.toHaveProperty("user_id");
  });

  it("counts a request it could not read for the caller the authorizer named, whose keys its line carries", async () => {
    const app = new Hono().get("/products", (c) => c.text("listed"));
    const authorizer = { tenantId: "acme", tier: "premium", userId: "user-9", roles: "tenant-user" };
    const output = captureOutput();
    try {
      await invoke(
        app,
        restEvent({
          body: "{}",
          requestContext: { requestId: "req-2", domainName: "api.test", authorizer } as never,
        }),
      );
    } finally {
      output.restore();
      logger.resetKeys();
    }
    const line = output.lines().find((l) => l.message === "the request could not be read");
    expect(line).toMatchObject({ tenant_id: "acme", tier: "premium", user_id: "user-9", correlation_id: "req-2" });
    expect(output.lines().filter((l) => l._aws)).toEqual([
      expect.objectContaining({ tier: "premium", tenantId: "acme", Requests: 1, ClientErrors: 1 }),
    ]);
  });

  it("answers 400 problem+json naming a header no request can carry, without running the app", async () => {
    let ran = false;
    const app = new Hono().get("/products", (c) => {
      ran = true;
      return c.text("listed");
    });
    const event = restEvent({ multiValueHeaders: { Host: ["api.test"], "X-Trace": ["a\r\nInjected: yes"] } });
    const { metadata, problem } = await invoke(app, event);
    expect(ran).toBe(false);
    expect(metadata).toMatchObject({ statusCode: 400, headers: { "content-type": "application/problem+json" } });
    expect(problem).toMatchObject({
      status: 400,
      errors: [{ location: "header", field: "X-Trace", message: "holds characters an HTTP header cannot carry" }],
    });
  });

  it("answers 500 problem+json that reveals nothing when the app throws instead of answering, and logs why", async () => {
    const app = new Hono().get("/products", () => {
      throw new Error("the table went away");
    });
    app.onError(() => {
      throw new Error("the error handler failed too");
    });
    const output = captureOutput();
    let sent: Awaited<ReturnType<typeof invoke>>;
    try {
      sent = await invoke(app, restEvent());
    } finally {
      output.restore();
    }
    expect(sent.metadata?.statusCode).toBe(500);
    expect(sent.problem).toEqual({ type: "about:blank", title: "Internal Server Error", status: 500 });
    expect(output.lines()).toEqual([
      expect.objectContaining({
        level: "ERROR",
        message: "request failed",
        error: expect.objectContaining({ message: "the error handler failed too" }),
      }),
    ]);
  });
});

describe("handle", () => {
  const lambdaContext = { awsRequestId: "req-1" } as LambdaContext;

  it("answers as a REST proxy result: status, every header, each cookie, text as text", async () => {
    const app = new Hono().get("/products", (c) => {
      c.header("Set-Cookie", "a=1");
      c.header("Set-Cookie", "b=2", { append: true });
      return c.json({ items: [] }, 200, { "X-Correlation-Id": "c-1" });
    });
    expect(await handle(app)(restEvent(), lambdaContext)).toEqual({
      statusCode: 200,
      multiValueHeaders: {
        "content-type": ["application/json"],
        "x-correlation-id": ["c-1"],
        "set-cookie": ["a=1", "b=2"],
      },
      body: '{"items":[]}',
      isBase64Encoded: false,
    });
  });

  it("hands API Gateway a body that is not text, or is compressed, base64-encoded; NDJSON and problem+json as text", async () => {
    const bytes = new Uint8Array([0, 255, 1, 254]);
    const app = new Hono()
      .get("/image", (c) => c.body(bytes, 200, { "Content-Type": "image/png" }))
      .get("/gzip", (c) => c.body(bytes, 200, { "Content-Type": "application/json", "Content-Encoding": "gzip" }))
      .get("/export", (c) => c.body('{"a":1}\n', 200, { "Content-Type": "application/x-ndjson" }))
      .get("/problem", (c) => c.body("{}", 404, { "Content-Type": "application/problem+json" }));
    const result = (path: string) => handle(app)(restEvent({ path }), lambdaContext);
    for (const path of ["/image", "/gzip"]) {
      expect(await result(path), path).toMatchObject({
        isBase64Encoded: true,
        body: Buffer.from(bytes).toString("base64"),
      });
    }
    expect(await result("/export")).toMatchObject({ isBase64Encoded: false, body: '{"a":1}\n' });
    expect(await result("/problem")).toMatchObject({ isBase64Encoded: false, body: "{}", statusCode: 404 });
  });

  it("gives the app the event and the Lambda context as hono's handle() does, and answers 400 problem+json to a GET with a body", async () => {
    let env: unknown;
    const app = new Hono().get("/products", (c) => {
      env = c.env;
      return c.text("listed");
    });
    const event = restEvent();
    await handle(app)(event, lambdaContext);
    expect(env).toEqual({ event, requestContext: event.requestContext, lambdaContext });
    const output = captureOutput();
    let refused: Awaited<ReturnType<ReturnType<typeof handle>>>;
    try {
      refused = await handle(app)(restEvent({ body: "{}" }), lambdaContext);
    } finally {
      output.restore();
      logger.resetKeys();
    }
    expect(refused.statusCode).toBe(400);
    expect(refused.multiValueHeaders?.["content-type"]).toEqual(["application/problem+json"]);
    expect(JSON.parse(refused.body).errors).toEqual([
      { location: "body", field: "(root)", message: "is not allowed on a GET request" },
    ]);
  });
});
