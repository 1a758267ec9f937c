import { describe, expect, it } from "vitest";
import { proxyResultToResponse } from "./proxy-result.ts";

describe("proxyResultToResponse", () => {
  it("turns a proxy result into status, headers and body", () => {
    const conversion = proxyResultToResponse({
      statusCode: 201,
      headers: { "Content-Type": "text/plain" },
      body: "hi",
    });

    expect(conversion).toEqual({
      ok: true,
      response: { statusCode: 201, headers: { "content-type": ["text/plain"] }, body: "hi" },
    });
  });

  it("keeps only the multiValueHeaders values when both maps name a header", () => {
    const conversion = proxyResultToResponse({
      statusCode: 200,
      headers: { "Set-Cookie": "single=1", "X-Count": 3 },
      multiValueHeaders: { "set-cookie": ["a=1", "b=2"] },
      body: "",
    });

    expect(conversion.ok && conversion.response.headers).toEqual({ "set-cookie": ["a=1", "b=2"], "x-count": ["3"] });
  });

  it("decodes a base64 body", () => {
    const conversion = proxyResultToResponse({ statusCode: 200, body: "AAEC/w==", isBase64Encoded: true });

    expect(conversion.ok && conversion.response.body).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it("accepts a result without body or headers", () => {
    expect(proxyResultToResponse({ statusCode: 204 })).toEqual({
      ok: true,
      response: { statusCode: 204, headers: {}, body: "" },
    });
  });

  it.each([
    ["no object", null, "not an object"],
    ["no status", { body: "x" }, "statusCode"],
    ["a string status", { statusCode: "200", body: "x" }, "statusCode"],
    ["an object body", { statusCode: 200, body: { a: 1 } }, "body"],
    ["an unknown field", { statusCode: 200, body: "x", cookies: [] }, "'cookies'"],
    ["an object header", { statusCode: 200, headers: { a: { b: 1 } } }, "headers"],
    ["a scalar multi-value header", { statusCode: 200, multiValueHeaders: { a: "b" } }, "multiValueHeaders"],
  ])("refuses a result with %s as malformed", (_case, result, reason) => {
    const conversion = proxyResultToResponse(result);

    expect(conversion.ok).toBe(false);
    expect(!conversion.ok && conversion.reason).toContain(reason);
  });
});
