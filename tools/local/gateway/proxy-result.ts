/** Turns a buffered Lambda proxy result into an HTTP response, refusing malformed ones as API Gateway does. */
import type { GatewayHttpResponse } from "./http-response.ts";

const allowedKeys = new Set(["statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"]);

type HeaderValue = boolean | number | string;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const isHeaderValue = (value: unknown): value is HeaderValue =>
  typeof value === "string" || typeof value === "number" || typeof value === "boolean";

/** Why API Gateway would answer "Malformed Lambda proxy response" (502), or undefined when the result is fine. */
function whyMalformed(result: Record<string, unknown>): string | undefined {
  const unknownKey = Object.keys(result).find((key) => !allowedKeys.has(key));
  if (unknownKey) return `the result has an unexpected field '${unknownKey}'`;
  const { statusCode, headers, multiValueHeaders, body, isBase64Encoded } = result;
  if (typeof statusCode !== "number" || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    return "statusCode must be an integer HTTP status";
  }
  if (headers != null && (!isRecord(headers) || !Object.values(headers).every(isHeaderValue))) {
    return "headers must map names to strings, numbers or booleans";
  }
  const isValueList = (values: unknown) => Array.isArray(values) && values.every(isHeaderValue);
  if (
    multiValueHeaders != null &&
    (!isRecord(multiValueHeaders) || !Object.values(multiValueHeaders).every(isValueList))
  ) {
    return "multiValueHeaders must map names to arrays of strings, numbers or booleans";
  }
  if (body != null && typeof body !== "string") return "body must be a string";
  if (isBase64Encoded != null && typeof isBase64Encoded !== "boolean") return "isBase64Encoded must be a boolean";
  return undefined;
}

/**
 * Merges `headers` and `multiValueHeaders` as API Gateway does: when both name a header, only the
 * `multiValueHeaders` values are kept.
 */
function mergeHeaders(headers: unknown, multiValueHeaders: unknown): Record<string, string[]> {
  const merged: Record<string, string[]> = {};
  for (const [name, values] of Object.entries((multiValueHeaders ?? {}) as Record<string, HeaderValue[]>)) {
    merged[name.toLowerCase()] = values.map(String);
  }
  for (const [name, value] of Object.entries((headers ?? {}) as Record<string, HeaderValue>)) {
    merged[name.toLowerCase()] ??= [String(value)];
  }
  return merged;
}

export type ProxyResultConversion = { ok: true; response: GatewayHttpResponse } | { ok: false; reason: string };

/** The HTTP response for a buffered handler's result `{statusCode, headers, multiValueHeaders, body, isBase64Encoded}`. */
export function proxyResultToResponse(result: unknown): ProxyResultConversion {
  if (!isRecord(result)) return { ok: false, reason: "the result is not an object" };
  const reason = whyMalformed(result);
  if (reason) return { ok: false, reason };
  const body = (result.body ?? "") as string;
  return {
    ok: true,
    response: {
      statusCode: result.statusCode as number,
      headers: mergeHeaders(result.headers, result.multiValueHeaders),
      body: result.isBase64Encoded ? Buffer.from(body, "base64") : body,
    },
  };
}
