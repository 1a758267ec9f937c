/** A small HTTP client for the suites: JSON in and out, any token, raw paths when needed. */
import { request as httpRequest } from "node:http";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: responses are checked field by field in the tests
  body: any;
}

export interface RequestOptions {
  token?: string;
  /** sent as JSON unless it is a string (sent as is) */
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * Retry a 429 after its Retry-After, as a well-behaved client would: for tests about something
   * else that reach a throttle shared with the suites running alongside (public sign-up: 1/s).
   */
  retryThrottled?: boolean;
}

function parse(text: string, contentType: string) {
  if (!text || !contentType.includes("json")) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Calls `baseUrl + path` with fetch. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse> {
  const send = () =>
    fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(options.token !== undefined && { Authorization: `Bearer ${options.token}` }),
        ...(options.body !== undefined && { "Content-Type": "application/json" }),
        ...options.headers,
      },
      ...(options.body !== undefined && {
        body: typeof options.body === "string" ? options.body : JSON.stringify(options.body),
      }),
    });
  let response = await send();
  for (let attempt = 1; options.retryThrottled && response.status === 429 && attempt < 10; attempt++) {
    await response.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 1000 * Number(response.headers.get("retry-after") ?? 1)));
    response = await send();
  }
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: parse(text, response.headers.get("content-type") ?? ""),
  };
}

/** A caller bound to one base URL and token. */
export type Api = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<ApiResponse>;

export const apiAs =
  (baseUrl: string, token: string, defaults: Pick<RequestOptions, "retryThrottled"> = {}): Api =>
  (method, path, body, headers) =>
    call(baseUrl, method, path, {
      ...defaults,
      token,
      ...(body !== undefined && { body }),
      ...(headers && { headers }),
    });

export interface RawRequest {
  method: string;
  /** sent exactly as given: no normalisation of dot segments or percent-encoding */
  path: string;
  headers: [string, string][];
  body?: Buffer | string;
}

/** Sends a request byte-faithfully with node:http (fetch would normalise the path and refuse odd headers). */
export function rawCall(baseUrl: string, raw: RawRequest): Promise<ApiResponse> {
  const url = new URL(baseUrl);
  const body = raw.body === undefined ? undefined : Buffer.from(raw.body);
  const has = (header: string) => raw.headers.some(([name]) => name.toLowerCase() === header);
  // Given a raw header list, Node adds neither Host nor body framing: HTTP/1.1 needs both.
  const headers: [string, string][] = [
    ...(has("host") ? [] : [["host", url.host] as [string, string]]),
    ...raw.headers,
    ...(body && !has("content-length") && !has("transfer-encoding")
      ? [["content-length", String(body.length)] as [string, string]]
      : []),
  ];
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: raw.method,
        path: raw.path,
        headers: headers.flat(),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
          }
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers, text, body: parse(text, headers.get("content-type") ?? "") });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
