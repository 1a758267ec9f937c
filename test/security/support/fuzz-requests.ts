/**
 * fast-check generators of hostile requests for any route of template.yaml (path parameters,
 * query strings, headers, bodies), and the property every answer must have: no 5xx, and every
 * error an RFC 9457 problem that names what is wrong.
 */
import fc from "fast-check";
import type { ApiRoute } from "../../../tools/local/template.ts";
import type { RouteCoverage } from "../route-coverage.ts";
import { PROBLEM_CONTENT_TYPE } from "./http.ts";

/** One generated request; `path` is already a valid request-target (percent-encoded where needed). */
export interface FuzzRequest {
  route: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

/** Values that have broken parsers, routers and databases before, sent as they are. */
const RAW_SEGMENTS = [
  "..",
  ".",
  "%00",
  "%2e%2e",
  "%2F",
  "a%2Fb",
  "%",
  "%zz",
  "%E0%A4%A",
  "%C0%AE",
  "%FF",
  "%u002e",
  "null",
  "undefined",
  "0",
  "-1",
  "1e309",
  "NaN",
  "__proto__",
  "constructor",
  "prototype",
  "%3Cscript%3E",
  "'%20OR%201=1--",
  "$%7Bjndi:ldap:%2F%2F127.0.0.1%2Fx%7D",
  "*",
  "00000000-0000-0000-0000-000000000000",
  "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
  "a".repeat(5000),
];

/** A path parameter value, ready to put in a path. */
const pathSegment: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.uuid().map((id) => id) },
  { weight: 1, arbitrary: fc.uuid().map((id) => id.toUpperCase()) },
  { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 80 }).map(encodeURIComponent) },
  {
    weight: 2,
    arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }).map(encodeURIComponent),
  },
  { weight: 2, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
);

const json = fc.jsonValue({ maxDepth: 4 });

/** base64url of arbitrary JSON: cursors that decode, naming keys and tenants at random. */
const forgedCursor = fc
  .oneof(
    json,
    fc.record({ productId: fc.oneof(fc.uuid(), fc.string(), json) }),
    fc.record({ tenantId: fc.string(), productId: fc.uuid() }),
    fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 40 })),
  )
  .map((value) => Buffer.from(JSON.stringify(value)).toString("base64url"));

const queryValue = fc.oneof(
  fc.integer().map(String),
  fc.double().map(String),
  fc.constantFrom(
    "",
    "1e2",
    "1e309",
    "-0",
    "0x10",
    " 5 ",
    "NaN",
    "Infinity",
    "99999999999999999999",
    "1.5",
    "[]",
    "{}",
  ),
  fc.string({ maxLength: 100 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  forgedCursor,
  fc.base64String({ maxLength: 200 }),
);

const queryName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("limit", "cursor") },
  { weight: 1, arbitrary: fc.constantFrom("tenantId", "__proto__", "limit[]", "cursor[0]", "") },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

const query = fc
  .array(fc.tuple(queryName, queryValue), { maxLength: 4 })
  .map((pairs) => (pairs.length === 0 ? "" : `?${new URLSearchParams(pairs).toString()}`));

/** Header values a client can send (visible ASCII and spaces; HTTP forbids CR, LF and NUL). */
const headerValue = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 200 }),
  fc.constantFrom("", "-1", "0", "999999999999", "gzip", "chunked", "application/json", "*/*"),
);

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "APPLICATION/JSON",
  "application/merge-patch+json",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/octet-stream",
  "application/json; charset=utf-16",
];

const headers = fc
  .record(
    {
      "content-type": fc.oneof(fc.constantFrom(...CONTENT_TYPES), headerValue),
      "x-correlation-id": headerValue,
      accept: fc.oneof(fc.constantFrom("application/json", "application/x-ndjson", "*/*", "text/html"), headerValue),
      "content-encoding": fc.constantFrom("gzip", "br", "identity", "x"),
      "x-tenant-id": fc.string({ maxLength: 30 }).map((s) => s.replace(/[^\x20-\x7e]/g, "")),
      "x-forwarded-for": fc.ipV4(),
      "x-http-method-override": fc.constantFrom("DELETE", "PUT", "GET"),
      "idempotency-key": fc.oneof(fc.uuid(), headerValue),
      "if-match": fc.oneof(fc.constantFrom("*", '"1"', '"2", "1"', 'W/"1"'), headerValue),
    },
    { requiredKeys: [] },
  )
  .map((h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, v.trim()])));

const deeplyNested = fc
  .integer({ min: 50, max: 20_000 })
  .map((depth) => `{"name":${"[".repeat(depth)}${"]".repeat(depth)}}`);

/** A body for the route: its valid body, mutated, or anything at all. */
function body(entry: RouteCoverage | undefined): fc.Arbitrary<string | Uint8Array> {
  const valid = entry?.validBody;
  const arbitraries: fc.Arbitrary<string | Uint8Array>[] = [
    json.map((value) => JSON.stringify(value)),
    fc.string({ maxLength: 300 }),
    fc.uint8Array({ maxLength: 300 }),
    fc.constantFrom("", "null", "[]", "{", '{"name":', "{}", '{"__proto__":{"admin":true}}', "\u0000", "1e309"),
    deeplyNested,
  ];
  if (valid) {
    arbitraries.push(
      // valid, with extra fields of any kind
      fc
        .tuple(valid, fc.dictionary(fc.string({ maxLength: 20 }), json, { maxKeys: 4 }))
        .map(([good, extra]) => JSON.stringify({ ...extra, ...good })),
      // valid, with one field replaced by anything
      fc.tuple(valid, fc.nat(), json).map(([good, n, value]) => {
        const keys = Object.keys(good);
        return JSON.stringify({ ...good, [keys[n % keys.length] as string]: value });
      }),
      // valid, with one field left out
      fc.tuple(valid, fc.nat()).map(([good, n]) => {
        const keys = Object.keys(good);
        const { [keys[n % keys.length] as string]: _left, ...rest } = good;
        return JSON.stringify(rest);
      }),
      valid.map((good) => JSON.stringify(good)),
    );
  }
  return fc.oneof(...arbitraries);
}

const OTHER_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/** Requests aimed at one route of the template. */
export function requestsFor(route: ApiRoute, entry: RouteCoverage | undefined): fc.Arbitrary<FuzzRequest> {
  const params = [...route.path.matchAll(/\{([^}+]+)\+?\}/g)].map((m) => m[1] as string);
  return fc
    .record({
      segments: fc.tuple(...params.map(() => pathSegment)),
      query,
      headers,
      method: fc.oneof(
        { weight: 9, arbitrary: fc.constant(route.method) },
        { weight: 1, arbitrary: fc.constantFrom(...OTHER_METHODS) },
      ),
      body: fc.option(body(entry), { nil: undefined, freq: 6 }),
    })
    .map(({ segments, query: q, headers: h, method, body: b }) => {
      let i = 0;
      const path = route.path.replace(/\{[^}]+\}/g, () => segments[i++] as string) + q;
      const hasBody = method !== "GET" && method !== "HEAD" && b !== undefined;
      return {
        route: `${route.method} ${route.path}`,
        method,
        path,
        headers: h,
        ...(hasBody && { body: b }),
      };
    });
}

/** What came back, in a shape both the in-process app and the gateway produce. */
export interface FuzzAnswer {
  status: number;
  contentType: string | null;
  text: string;
}

/** Internals that must never reach a client. */
const LEAKS =
  /node_modules|\bat [\w.<>]+ \(|TypeError|SyntaxError|ReferenceError|RangeError|DynamoDB|ValidationException|arn:aws:|moto|Traceback/;

/** The property: returns what is wrong with the answer, or undefined when it is right. */
export function violation(request: FuzzRequest, answer: FuzzAnswer): string | undefined {
  const { status, contentType, text } = answer;
  if (status >= 500) return `answered ${status}: ${text.slice(0, 300)}`;
  if (status < 400) return undefined;
  if (!contentType?.startsWith(PROBLEM_CONTENT_TYPE)) return `${status} with content-type ${contentType}`;
  if (request.method === "HEAD") return undefined;
  let problem: { title?: unknown; status?: unknown; errors?: unknown };
  try {
    problem = JSON.parse(text);
  } catch {
    return `${status} problem that is not JSON: ${text.slice(0, 200)}`;
  }
  if (typeof problem.title !== "string" || problem.title === "") return `${status} problem without a title`;
  if (problem.status !== status) return `problem status ${problem.status} on a ${status} response`;
  if (LEAKS.test(text)) return `${status} problem leaks internals: ${text.slice(0, 300)}`;
  if (status === 400) {
    const errors = problem.errors;
    if (!Array.isArray(errors) || errors.length === 0) return `400 without errors[] naming the field: ${text}`;
    for (const error of errors as { location?: unknown; field?: unknown; message?: unknown }[]) {
      if (!["body", "path", "query", "header"].includes(error.location as string))
        return `400 error without a location: ${text}`;
      if (typeof error.field !== "string" || error.field === "") return `400 error without a field: ${text}`;
      if (typeof error.message !== "string" || error.message === "") return `400 error without a message: ${text}`;
    }
  }
  return undefined;
}
