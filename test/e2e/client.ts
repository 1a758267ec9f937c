/** What the e2e suites share: the running stack, signed-in demo users, a fetch that speaks JSON. */
import { inject } from "vitest";
import { DEMO_PASSWORD } from "../../tools/local/seed.ts";
import { signIn } from "../../tools/local/sign-in.ts";

export const stack = inject("localStack");

const tokens = new Map<string, string>();

/** The ID token of a seeded user (signed in once per test file). */
export async function tokenOf(email: string): Promise<string> {
  let token = tokens.get(email);
  if (!token) {
    token = (await signIn({ ...stack, email, password: DEMO_PASSWORD })).idToken;
    tokens.set(email, token);
  }
  return token;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: responses are checked field by field in the tests
  body: any;
}

/**
 * Calls the local gateway as `email` (or with no token when email is undefined). With
 * `retryThrottled`, a 429 is retried after its Retry-After, as a well-behaved client would (for
 * throttles that other suites sharing the stack may have used up).
 */
export async function api(
  method: string,
  path: string,
  options: {
    as?: string;
    token?: string;
    body?: unknown;
    headers?: Record<string, string>;
    retryThrottled?: boolean;
  } = {},
): Promise<ApiResponse> {
  const token = options.token ?? (options.as ? await tokenOf(options.as) : undefined);
  const send = () =>
    fetch(`${stack.url}${path}`, {
      method,
      headers: {
        ...(token && { Authorization: `Bearer ${token}` }),
        ...(options.body !== undefined && { "Content-Type": "application/json" }),
        ...options.headers,
      },
      ...(options.body !== undefined && {
        body: typeof options.body === "string" ? options.body : JSON.stringify(options.body),
      }),
    });
  let response = await send();
  for (let attempt = 1; options.retryThrottled && response.status === 429 && attempt <= 5; attempt++) {
    await response.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 1000 * Number(response.headers.get("retry-after") ?? 1)));
    response = await send();
  }
  const text = await response.text();
  const type = response.headers.get("content-type") ?? "";
  return {
    status: response.status,
    headers: response.headers,
    body: /application\/(problem\+)?json/.test(type) && text ? JSON.parse(text) : text,
  };
}

/** The values of an NDJSON body, one per line. */
// biome-ignore lint/suspicious/noExplicitAny: lines are checked field by field in the tests
export function ndjsonLines(body: unknown): any[] {
  return String(body)
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
}

export const ACME_ADMIN = "admin@acme.test";
export const ACME_USER = "user@acme.test";
export const GLOBEX_ADMIN = "admin@globex.test";

export const newProduct = (name: string) => ({ name, priceCents: 1999, currency: "EUR", stock: 3 });
