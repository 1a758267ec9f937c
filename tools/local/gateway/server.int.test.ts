import { existsSync, readFileSync } from "node:fs";
import { setTimeout } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { FunctionLogLine } from "./lambda-worker-process.ts";
import { type Gateway, type GatewayOptions, startGateway } from "./server.ts";
import {
  createGate,
  fixtureResolveContext,
  fixturesDir,
  fixtureTemplate,
  isProcessAlive,
  removeTempFiles,
  tempPath,
  waitUntil,
} from "./test-support.ts";

const authorizerCallsFile = tempPath("authorizer-calls");
afterAll(removeTempFiles);
const authorizerCalls = () =>
  existsSync(authorizerCallsFile) ? readFileSync(authorizerCallsFile, "utf8").trim().split("\n") : [];

function start(options: Partial<GatewayOptions> = {}, logs: FunctionLogLine[] = []): Promise<Gateway> {
  return startGateway({
    template: fixtureTemplate(),
    buildDir: fixturesDir,
    resolveContext: fixtureResolveContext(),
    extraEnv: { AUTHORIZER_CALLS_FILE: authorizerCallsFile },
    port: 0,
    log: (line) => logs.push(line),
    ...options,
  });
}

const withToken = (token: string, init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
});

async function expectProblem(response: Response, status: number) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const problem = await response.json();
  expect(problem).toMatchObject({ type: "about:blank", status, title: expect.any(String), detail: expect.any(String) });
  return problem;
}

describe("the local gateway", () => {
  let gateway: Gateway;
  const logs: FunctionLogLine[] = [];
  const call = (path: string, init?: RequestInit) => fetch(`${gateway.url}${path}`, init);

  beforeAll(async () => {
    gateway = await start({}, logs);
  });
  afterAll(async () => {
    await gateway.close();
  });

  describe("routing", () => {
    it("answers its health check without a token", async () => {
      const response = await call("/health");

      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: "ok" });
    });

    it("answers a path no resource matches, and a method the resource lacks, as API Gateway does: 403 problem+json (MISSING_AUTHENTICATION_TOKEN)", async () => {
      const noResource = await call("/orders", withToken("allow"));
      const noMethod = await call("/products/1", withToken("allow", { method: "DELETE" }));

      await expectProblem(noResource, 403);
      expect(noResource.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
      await expectProblem(noMethod, 403);
    });

    it("answers 413 for a body over 10 MB", async () => {
      const body = Buffer.alloc(10 * 1024 * 1024 + 1);

      const response = await call("/upload", withToken("allow", { method: "POST", body }));

      await expectProblem(response, 413);
    });

    it("sends /products/export to the streaming function rather than /products/{id}", async () => {
      const response = await call("/products/export", withToken("allow"));

      expect(response.headers.get("content-type")).toBe("application/x-ndjson");
      expect(await response.text()).toBe('{"line":1}\n{"line":2}\n{"line":3}\n');
    });

    it("gives a greedy resource the rest of the path", async () => {
      const response = await call("/files/a/b.txt", withToken("allow", { method: "PATCH" }));

      const { event } = await response.json();
      expect(event).toMatchObject({
        resource: "/files/{proxy+}",
        httpMethod: "PATCH",
        pathParameters: { proxy: "a/b.txt" },
      });
    });
  });

  describe("the REST proxy event", () => {
    it("carries the request as API Gateway describes it", async () => {
      const response = await call("/products/42?tag=a&tag=b", withToken("allow", { headers: { "x-custom": "1" } }));

      const { event } = await response.json();
      expect(event).toMatchObject({
        resource: "/products/{id}",
        path: "/products/42",
        httpMethod: "GET",
        pathParameters: { id: "42" },
        queryStringParameters: { tag: "b" },
        multiValueQueryStringParameters: { tag: ["a", "b"] },
        stageVariables: null,
        body: null,
        isBase64Encoded: false,
        headers: { "x-custom": "1", "X-Forwarded-Proto": "http" },
        requestContext: {
          accountId: "111122223333",
          apiId: "fixtureapi",
          stage: "local",
          path: "/local/products/42",
          resourcePath: "/products/{id}",
          identity: { sourceIp: "127.0.0.1" },
        },
      });
      expect(event.requestContext.requestId).toBe(response.headers.get("x-amzn-requestid"));
    });

    it("passes a binary body as base64 and returns a base64 result as bytes", async () => {
      const png = Buffer.from([137, 80, 78, 71]);

      const upload = await call(
        "/upload",
        withToken("allow", { method: "POST", body: png, headers: { "content-type": "image/png" } }),
      );
      const download = await call("/products/1?mode=binary", withToken("allow"));

      expect((await upload.json()).event).toMatchObject({ body: png.toString("base64"), isBase64Encoded: true });
      expect(download.status).toBe(201);
      expect(Buffer.from(await download.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
    });

    it("sends the result's headers and multi-value headers", async () => {
      const response = await call("/products/1", withToken("allow"));

      expect(response.headers.get("x-echo")).toBe("single");
      expect(response.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    });
  });

  describe("the authorizer", () => {
    it("answers the template's 401 without calling the authorizer when there is no token", async () => {
      const callsBefore = authorizerCalls().length;

      const response = await call("/products", { headers: { "X-Correlation-Id": "no-token-1" } });

      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe("Bearer");
      expect(response.headers.get("x-correlation-id")).toBe("no-token-1");
      expect(await response.json()).toMatchObject({
        title: "Unauthorized",
        detail: "A valid bearer token is required.",
      });
      expect(authorizerCalls()).toHaveLength(callsBefore);
    });

    it("answers 401 when the authorizer throws Unauthorized, and 500 when it fails otherwise", async () => {
      const unknownToken = await call("/products", withToken("nobody"));
      const failing = await call("/products", withToken("fail"));

      expect(unknownToken.status).toBe(401);
      await expectProblem(failing, 500);
    });

    it("answers the template's 403 when the policy denies the method, an explicit Deny winning over an Allow", async () => {
      const denied = await call("/products", withToken("deny"));
      const putDenied = await call("/products/1", withToken("deny-put", { method: "PUT" }));
      const getAllowed = await call("/products/1", withToken("deny-put"));

      expect(denied.status).toBe(403);
      expect(await denied.json()).toMatchObject({ detail: "This tenant may not use the API." });
      expect(putDenied.status).toBe(403);
      expect(getAllowed.status).toBe(200);
    });

    it("puts the authorizer's context and principal in requestContext.authorizer", async () => {
      const response = await call("/products", withToken("allow"));

      const { event } = await response.json();
      expect(event.requestContext.authorizer).toMatchObject({
        principalId: "user-allow",
        tenantId: "tenant-1",
        tier: "gold",
        admin: "true",
        quota: "5",
        integrationLatency: expect.any(Number),
      });
      expect(event.requestContext.authorizer).not.toHaveProperty("nested");
    });

    it("reuses a decision for the same token, re-evaluating its policy for another method", async () => {
      const callsBefore = authorizerCalls().length;

      const listed = await call("/products", withToken("get-products-only"));
      const other = await call("/products/1", withToken("get-products-only"));

      expect(listed.status).toBe(200);
      expect(other.status).toBe(403);
      expect(authorizerCalls()).toHaveLength(callsBefore + 1);
    });

    it("does not run for a route whose Authorizer is NONE", async () => {
      const response = await call("/crash");

      expect(response.status).toBe(200);
    });
  });

  describe("functions", () => {
    it("streams the status, headers and each chunk before the handler has finished", async () => {
      const gate = createGate();

      const response = await call(`/products/export?gate=${encodeURIComponent(gate.path)}`, withToken("allow"));
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      const first = await reader.read();
      gate.open();
      let rest = "";
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
        rest += decoder.decode(chunk.value);

      expect(response.status).toBe(200);
      expect(response.headers.get("transfer-encoding")).toBe("chunked");
      expect(response.headers.getSetCookie()).toEqual(["export=started"]);
      expect(response.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
      expect(decoder.decode(first.value)).toBe('{"line":1}\n');
      expect(rest).toBe('{"line":2}\n{"line":3}\n');
    });

    it("cuts the body short when a streamed answer fails half way, so the client cannot take it for complete", async () => {
      const response = await call("/products/export?mode=fail-midway", withToken("allow"));
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();

      expect(response.status).toBe(200);
      expect(new TextDecoder().decode((await reader.read()).value)).toBe('{"line":1}\n');
      // no clean end of the chunked body: reading on fails
      await expect(reader.read()).rejects.toThrow();
    });

    it("answers 502 when a streaming handler fails before sending anything", async () => {
      await expectProblem(await call("/products/export?mode=throw", withToken("allow")), 502);
    });

    it("answers 502 when a streaming function sits behind a buffered route", async () => {
      await expectProblem(await call("/buffered-export"), 502);
    });

    it("answers 502 for a malformed proxy result and for a handler error, whose log reaches the log sink", async () => {
      const malformed = await call("/products/1?mode=malformed", withToken("allow"));
      const thrown = await call("/products/1?mode=throw", withToken("allow"));

      await expectProblem(malformed, 502);
      expect((await expectProblem(thrown, 502)).detail).toContain("echo was told to throw");
      // stderr is a pipe of its own: the log line may arrive just after the answer.
      await vi.waitFor(() =>
        expect(logs).toContainEqual(
          expect.objectContaining({
            functionId: "echo",
            stream: "stderr",
            line: expect.stringContaining("Invoke Error"),
          }),
        ),
      );
    });

    it("answers 504 when the function overruns its Timeout", async () => {
      await expectProblem(await call("/slow"), 504);
    });

    it("answers 502 when the function's process crashes, and serves the next request from a new worker", async () => {
      const before = await (await call("/crash")).json();

      const crashed = await call("/crash?crash=true");
      const after = await (await call("/crash")).json();

      await expectProblem(crashed, 502);
      expect(after.pid).not.toBe(before.pid);
    });

    it("reuses the warm worker for sequential requests", async () => {
      const first = await (await call("/products/1", withToken("allow"))).json();
      const second = await (await call("/products/1", withToken("allow"))).json();

      expect(second.pid).toBe(first.pid);
    });

    it("starts another worker for a concurrent request", async () => {
      const gate = createGate();
      const path = `/products/1?gate=${encodeURIComponent(gate.path)}`;

      const requests = [call(path, withToken("allow")), call(path, withToken("allow"))];
      await waitUntil(() => gate.startedPids().length === 2);
      gate.open();
      const bodies = await Promise.all((await Promise.all(requests)).map((response) => response.json()));

      expect(bodies[0].pid).not.toBe(bodies[1].pid);
    });
  });
});

describe("a local gateway streaming at a bandwidth cap", () => {
  it("holds what is past the uncapped part to the cap, and the handler's writes wait for it, as on Lambda", async () => {
    // 64 KB uncapped, then 1 MB/s: the other 1984 KB of a 2 MB answer take at least 1.94 s
    const gateway = await start({ streamBandwidth: { uncappedBytes: 64 * 1024, bytesPerSecond: 1024 * 1024 } });
    const progress = tempPath("progress");
    try {
      const started = performance.now();
      const response = await fetch(
        `${gateway.url}/products/export?mode=flood&chunks=64&progress=${encodeURIComponent(progress)}`,
        withToken("allow"),
      );
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      let received = (await reader.read()).value?.length ?? 0;
      // Unheld, the handler would have written all 2 MB by now; held, it is at most its window
      // (256 KB) and an acknowledgement batch (64 KB) ahead of the 64 KB + 300 KB delivered.
      await setTimeout(300);
      const writtenMeanwhile = Number(readFileSync(progress, "utf8"));
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) received += chunk.value.length;

      expect(received).toBe(64 * 32 * 1024);
      expect(writtenMeanwhile).toBeLessThan(32);
      expect(performance.now() - started).toBeGreaterThanOrEqual(1900);
    } finally {
      await gateway.close();
    }
  });
});

describe("a local gateway with ReauthorizeEvery 0 and a usage-plan hook", () => {
  it("calls the authorizer for every request and lets the hook answer instead of the function", async () => {
    const hookCalls: unknown[] = [];
    const gateway = await start({
      resolveContext: fixtureResolveContext(0),
      admit: (route, decision) => {
        hookCalls.push({ decision, path: route.path });
        return route.path === "/upload" ? { type: "THROTTLED", status: 429, detail: "Too many uploads." } : undefined;
      },
    });
    try {
      const callsBefore = authorizerCalls().length;

      const listed = await fetch(`${gateway.url}/products`, withToken("allow"));
      const listedAgain = await fetch(`${gateway.url}/products`, withToken("allow"));
      const throttled = await fetch(`${gateway.url}/upload`, withToken("allow", { method: "POST" }));

      expect([listed.status, listedAgain.status, throttled.status]).toEqual([200, 200, 429]);
      expect(authorizerCalls()).toHaveLength(callsBefore + 3);
      expect(hookCalls[2]).toEqual({
        decision: {
          principalId: "user-allow",
          context: { tenantId: "tenant-1", tier: "gold", admin: "true", quota: "5" },
          usageIdentifierKey: "gold-tier-api-key",
        },
        path: "/upload",
      });
    } finally {
      await gateway.close();
    }
  });
});

describe("closing the local gateway", () => {
  it("kills every worker process", async () => {
    const gateway = await start();
    await fetch(`${gateway.url}/products`, withToken("allow"));
    await fetch(`${gateway.url}/crash`);
    const pids = ["authorizer", "echo", "crash"].flatMap((functionId) => gateway.lambda.pool(functionId).workerPids);

    await gateway.close();

    expect(pids).toHaveLength(3);
    expect(pids.filter(isProcessAlive)).toEqual([]);
  });
});
