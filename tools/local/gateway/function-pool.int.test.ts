import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { type FunctionConfig, functionConfig } from "./function-config.ts";
import { FunctionPool } from "./function-pool.ts";
import type { FunctionLogLine, InvocationOutcome } from "./lambda-worker-process.ts";
import {
  createGate,
  fixtureResolveContext,
  fixturesDir,
  fixtureTemplate,
  isProcessAlive,
  removeTempFiles,
  waitUntil,
} from "./test-support.ts";
import type { StreamMetadata } from "./worker-protocol.ts";

afterAll(removeTempFiles);

const pools: FunctionPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

function configOf(functionId: string, overrides: Partial<FunctionConfig> = {}): FunctionConfig {
  const config = functionConfig(fixtureTemplate(), functionId, {
    buildDir: fixturesDir,
    resolveContext: fixtureResolveContext(),
    extraEnv: { FROM_EXTRA_ENV: "yes" },
  });
  return { ...config, ...overrides };
}

function poolOf(functionId: string, options: { maxConcurrency?: number; overrides?: Partial<FunctionConfig> } = {}) {
  const logs: FunctionLogLine[] = [];
  const pool = new FunctionPool(configOf(functionId, options.overrides), {
    maxConcurrency: options.maxConcurrency,
    log: (line) => logs.push(line),
  });
  pools.push(pool);
  return { pool, logs };
}

const queryEvent = (query: Record<string, string> | null = null) => ({ queryStringParameters: query });

// biome-ignore lint/suspicious/noExplicitAny: the echo fixture's body is whatever it echoed.
function echoed(outcome: InvocationOutcome): any {
  if (outcome.status !== "succeeded") throw new Error(`expected success, got ${JSON.stringify(outcome)}`);
  return JSON.parse((outcome.payload as { body: string }).body);
}

describe("FunctionPool", () => {
  it("runs the handler with Lambda's context and environment, resolving layer modules through NODE_PATH", async () => {
    const { pool } = poolOf("echo");

    const body = echoed(await pool.invoke(queryEvent()));

    expect(body.layerGreeting).toBe("hello from the fixture layer");
    expect(body.context).toMatchObject({
      functionName: "echo",
      functionVersion: "$LATEST",
      invokedFunctionArn: "arn:aws:lambda:eu-west-1:111122223333:function:echo",
      memoryLimitInMB: "256",
      logGroupName: "/aws/lambda/echo",
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(body.context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.context.remainingTimeInMillis).toBeGreaterThan(0);
    expect(body.context.remainingTimeInMillis).toBeLessThanOrEqual(5000);
    expect(body.env).toMatchObject({ STAGE: "local", TABLE_NAME: "fixture-table", FROM_EXTRA_ENV: "yes" });
    expect(body.env).not.toHaveProperty("HOME");
    expect(body.cwd).toBe(configOf("echo").taskRoot);
  });

  it("refuses a response over Lambda's 6 MB payload limit as Lambda's runtime does", async () => {
    const { pool, logs } = poolOf("echo");

    // {"statusCode":200,"body":"xx…"} is 28 bytes more than its body
    const limit = 6 * 1024 * 1024 + 100;
    const justOver = await pool.invoke(queryEvent({ mode: "sized", count: String(limit - 28 + 1) }));
    const atTheLimit = await pool.invoke(queryEvent({ mode: "sized", count: String(limit - 28) }));
    // bytes, not characters: "é" is two bytes in UTF-8
    const overInBytes = await pool.invoke(queryEvent({ mode: "sized", char: "é", count: String(limit / 2) }));

    expect(justOver.status === "failed" && justOver.error).toEqual({
      errorType: "RequestEntityTooLarge",
      errorMessage: "Exceeded maximum allowed payload size (6291556 bytes).",
      trace: [],
    });
    await waitUntil(() => logs.some((entry) => entry.line.includes("Http response code: 413")));
    expect(atTheLimit.status).toBe("succeeded");
    expect(overInBytes.status).toBe("failed");
  });

  it("starts the worker with the heap Lambda gives the function's memory, and global.gc", async () => {
    const { pool } = poolOf("echo");

    const body = echoed(await pool.invoke(queryEvent()));

    // MemorySize 256: 231 MB of old generation plus the young one, far below Node's own default.
    expect(body.heapSizeLimitMb).toBeGreaterThan(231);
    expect(body.heapSizeLimitMb).toBeLessThan(300);
    expect(body.gcExposed).toBe(true);
  });

  it("reuses the warm worker for sequential invocations", async () => {
    const { pool } = poolOf("echo");

    const first = echoed(await pool.invoke(queryEvent()));
    const second = echoed(await pool.invoke(queryEvent()));

    expect(second.pid).toBe(first.pid);
    expect(pool.workerPids).toEqual([first.pid]);
  });

  it("starts another worker while every worker is busy, up to the limit, then queues", async () => {
    const { pool } = poolOf("echo", { maxConcurrency: 2 });
    const gate = createGate();

    const invocations = [1, 2, 3].map(() => pool.invoke(queryEvent({ gate: gate.path })));
    await waitUntil(() => gate.startedPids().length === 2);
    const busyWorkers = pool.workerPids.length;
    gate.open();
    const pids = (await Promise.all(invocations)).map((outcome) => echoed(outcome).pid);

    expect(busyWorkers).toBe(2);
    expect(gate.startedPids()).toHaveLength(3);
    expect(new Set(pids).size).toBe(2);
  });

  it("sends a streaming handler's metadata and each chunk while the handler is still running", async () => {
    const { pool } = poolOf("streaming");
    const gate = createGate();
    const received: (StreamMetadata | string)[] = [];
    const sink = {
      onMetadata: (metadata: StreamMetadata) => received.push(metadata),
      onChunk: (chunk: Buffer) => {
        received.push(chunk.toString());
      },
      onEnd: () => received.push("<end>"),
    };

    const invocation = pool.invoke(queryEvent({ gate: gate.path }), sink);
    await waitUntil(() => received.length === 2);
    const beforeRelease = [...received];
    gate.open();
    const outcome = await invocation;

    expect(beforeRelease).toEqual([
      { statusCode: 200, headers: { "content-type": "application/x-ndjson" }, cookies: ["export=started"] },
      '{"line":1}\n',
    ]);
    expect(received.slice(2)).toEqual(['{"line":2}\n', '{"line":3}\n', "<end>"]);
    expect(outcome).toEqual({ status: "streamed" });
  });

  it("reports a handler's error as Lambda does, logs it, and keeps the worker", async () => {
    const { pool, logs } = poolOf("echo");

    const outcome = await pool.invoke(queryEvent({ mode: "throw" }));
    const pidsAfterError = pool.workerPids;

    expect(outcome).toMatchObject({
      status: "failed",
      error: { errorType: "TypeError", errorMessage: "echo was told to throw" },
    });
    // stderr is a pipe of its own: the log line may arrive just after the IPC answer.
    await vi.waitFor(() =>
      expect(logs).toContainEqual(
        expect.objectContaining({
          functionId: "echo",
          stream: "stderr",
          line: expect.stringContaining("Invoke Error"),
        }),
      ),
    );
    expect(echoed(await pool.invoke(queryEvent())).pid).toBe(pidsAfterError[0]);
  });

  it("reports a missing export as Runtime.HandlerNotFound and a missing bundle as Runtime.ImportModuleError", async () => {
    const noExport = poolOf("echo", { overrides: { exportName: "nothing" } }).pool;
    const noBundle = poolOf("echo", { overrides: { bundlePath: `${fixturesDir}/echo/missing.js` } }).pool;

    const missingExport = await noExport.invoke(queryEvent());
    const missingBundle = await noBundle.invoke(queryEvent());

    expect(missingExport).toMatchObject({ status: "failed", error: { errorType: "Runtime.HandlerNotFound" } });
    expect(missingBundle).toMatchObject({ status: "failed", error: { errorType: "Runtime.ImportModuleError" } });
  });

  it("kills a worker that overruns its Timeout", async () => {
    const { pool } = poolOf("slow");

    const invocation = pool.invoke(queryEvent());
    await waitUntil(() => pool.workerPids.length === 1);
    const [pid = 0] = pool.workerPids;
    const outcome = await invocation;

    expect(outcome).toEqual({ status: "timed-out", timeoutSeconds: 1 });
    await waitUntil(() => !isProcessAlive(pid));
    expect(pool.workerPids).toEqual([]);
  });

  it("reports a crashed worker and replaces it on the next invocation", async () => {
    const { pool } = poolOf("crash");

    const before = echoed(await pool.invoke(queryEvent())).pid;
    const crash = await pool.invoke(queryEvent({ crash: "true" }));
    const after = echoed(await pool.invoke(queryEvent())).pid;

    expect(crash).toMatchObject({ status: "crashed", exitCode: 1 });
    expect(isProcessAlive(before)).toBe(false);
    expect(after).not.toBe(before);
  });

  it("kills every worker on close, busy ones included", async () => {
    const { pool } = poolOf("echo");
    const gate = createGate();
    const invocations = [1, 2].map(() => pool.invoke(queryEvent({ gate: gate.path })));
    await waitUntil(() => gate.startedPids().length === 2);

    await pool.close();
    const outcomes = await Promise.all(invocations);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(["crashed", "crashed"]);
    expect(gate.startedPids().filter(isProcessAlive)).toEqual([]);
    await expect(pool.invoke(queryEvent())).rejects.toThrow(/closed/);
  });

  it("leaves no worker behind when the gateway process is terminated", async () => {
    const parentScript = fileURLToPath(new URL("./fixtures/pool-parent.mjs", import.meta.url));
    const parent = spawn(process.execPath, [parentScript], { stdio: ["ignore", "pipe", "inherit"] });
    const [firstLine] = (await once(createInterface({ input: parent.stdout }), "line")) as [string];
    const workerPid = Number(firstLine);
    const aliveBefore = isProcessAlive(workerPid);

    parent.kill("SIGTERM");
    await once(parent, "exit");

    expect(aliveBefore).toBe(true);
    await waitUntil(() => !isProcessAlive(workerPid));
  });
});
