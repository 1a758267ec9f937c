/** The typed API client: openapi-fetch over the types generated from the API's OpenAPI document. */
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./api-types.ts";

export type TenantkitClient = Client<paths>;

/** An RFC 9457 problem, as the API answers every error. */
export type Problem = components["schemas"]["Problem"];

export interface TenantkitClientOptions {
  /** the stage's URL (`ApiUrl` output of the stack), or the local stack's, e.g. `http://127.0.0.1:3000` */
  baseUrl: string;
  /** the bearer token (a Cognito ID token), or a function that returns a current one before each request */
  token?: string | (() => string | Promise<string>);
  fetch?: typeof fetch;
}

/**
 * A client whose paths, parameters, bodies and answers are typed from the OpenAPI document.
 * Each call resolves with `{ data }` on success or `{ error }` (a `Problem`) otherwise; `ok()`
 * turns the second into a thrown `ApiProblemError`.
 *
 * @example
 * const api = createTenantkitClient({ baseUrl: "http://127.0.0.1:3000", token: tokens.idToken });
 * const page = ok(await api.GET("/products", { params: { query: { limit: 10 } } }));
 * console.log(page.items.map((product) => product.name));
 */
export function createTenantkitClient(options: TenantkitClientOptions): TenantkitClient {
  const client = createClient<paths>({ baseUrl: options.baseUrl.replace(/\/$/, ""), fetch: options.fetch });
  const { token } = options;
  if (token !== undefined) {
    client.use({
      async onRequest({ request }) {
        request.headers.set("Authorization", `Bearer ${typeof token === "function" ? await token() : token}`);
        return request;
      },
    });
  }
  return client;
}

/** The API answered with a problem (`application/problem+json`). */
export class ApiProblemError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(`${status} ${problem?.title ?? "error"}${problem?.detail ? `: ${problem.detail}` : ""}`);
    this.name = "ApiProblemError";
  }
}

/**
 * The data of a successful call, or an `ApiProblemError` thrown with the problem the API answered.
 *
 * @example
 * const order = ok(await api.POST("/orders", { params: { header: { "idempotency-key": key } }, body }));
 */
export function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    throw new ApiProblemError(result.response.status, result.error as Problem | undefined);
  }
  return result.data as T;
}
