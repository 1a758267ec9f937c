import { Hono } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import { NDJSON_CONTENT_TYPE, ndjsonResponse } from "./ndjson.ts";

/** Values one at a time, recording how far the reading went and whether it was stopped. */
function counted(values: unknown[], failAfter?: number) {
  const progress = { read: 0, stopped: false };
  async function* lines() {
    try {
      for (const value of values) {
        if (progress.read === failAfter) throw new Error("the table went away");
        progress.read += 1;
        yield value;
      }
    } finally {
      progress.stopped = true;
    }
  }
  return { lines: lines(), progress };
}

const app = (lines: AsyncIterable<unknown>) => {
  const hono = new Hono();
  hono.get("/export", (c) => ndjsonResponse(c, lines));
  return hono;
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe("ndjsonResponse", () => {
  it("answers one JSON value per line, as NDJSON", async () => {
    const { lines } = counted([{ a: 1 }, "two", [3]]);
    const res = await app(lines).request("/export");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(NDJSON_CONTENT_TYPE);
    expect(await res.text()).toBe('{"a":1}\n"two"\n[3]\n');
  });

  it("reads only as fast as the client takes the lines", async () => {
    const { lines, progress } = counted(Array.from({ length: 100 }, (_, i) => i));
    const reader = (await app(lines).request("/export")).body?.getReader();
    await reader?.read();
    await new Promise((resolve) => setImmediate(resolve));
    expect(progress.read).toBeLessThan(5);
  });

  it("ends the body with an error when reading fails half way, so that it cannot pass for complete", async () => {
    const errors = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const { lines } = counted([1, 2, 3], 2);
    const res = await app(lines).request("/export");
    await expect(res.text()).rejects.toThrow("the table went away");
    expect(errors.mock.calls.map(([chunk]) => String(chunk)).join("")).toContain("streamed response failed");
  });

  it("stops reading when the client goes away", async () => {
    const { lines, progress } = counted(Array.from({ length: 100 }, (_, i) => i));
    const reader = (await app(lines).request("/export")).body?.getReader();
    await reader?.read();
    await reader?.cancel();
    expect(progress.stopped).toBe(true);
    expect(progress.read).toBeLessThan(5);
  });

  it("stops quietly when the client goes away while a line is being read, even if the source's cleanup fails", async () => {
    const errors = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    let release = () => {};
    async function* slow() {
      try {
        yield 1;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        yield 2;
      } finally {
        // biome-ignore lint/correctness/noUnsafeFinally: a source whose cleanup fails is what is tested
        throw new Error("cleanup failed");
      }
    }
    const reader = (await app(slow()).request("/export")).body?.getReader();
    await reader?.read(); // line 1; the stream is now reading line 2, waiting inside the source
    await new Promise((resolve) => setImmediate(resolve));
    const cancelled = reader?.cancel();
    release();
    await expect(cancelled).resolves.toBeUndefined();
    const logged = errors.mock.calls.map(([chunk]) => String(chunk)).join("");
    expect(logged).not.toContain("streamed response failed");
  });

  it("logs a failure of the source that comes after the client went away (a step half done)", async () => {
    const errors = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    let fail = (_error: Error) => {};
    async function* failing() {
      yield 1;
      await new Promise<void>((_resolve, reject) => {
        fail = reject;
      });
    }
    const reader = (await app(failing()).request("/export")).body?.getReader();
    await reader?.read();
    await new Promise((resolve) => setImmediate(resolve));
    const cancelled = reader?.cancel();
    fail(new Error("a delete failed half way"));
    await cancelled;
    const logged = errors.mock.calls.map(([chunk]) => String(chunk)).join("");
    expect(logged).toContain("streamed response failed after its client went away");
    expect(logged).toContain("a delete failed half way");
  });
});
