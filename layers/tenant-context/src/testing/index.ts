/**
 * @module
 * In-memory stand-ins for the layer's own interfaces, for services' unit tests (no network).
 * Not part of the bundled layer: import from `@tenantkit/tenant-context/testing`.
 */
import { format } from "node:util";
import type { APIGatewayProxyEvent } from "aws-lambda";
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
  type JWTVerifyGetKey,
  SignJWT,
} from "jose";
import { createTokenVerifier, type TokenVerifier } from "../auth/token-verifier.ts";
import type { AppConfig } from "../config/app-config.ts";
import type { TenantDataSource } from "../data/tenant-data.ts";
import type { TenantTable } from "../data/tenant-scoped-table.ts";
import { UnauthorizedError } from "../http/errors.ts";
import type { TenantRecord, TenantRegistry } from "../registry/tenant-registry.ts";

/**
 * An API Gateway REST (v1) proxy event as a service's Lambda handler gets it: `GET /products` on
 * host `api.test` (each header in both header maps), or as the options say; `requestContext` and
 * any other field from `overrides`.
 *
 * @example
 * const result = await handle(app)(restProxyEvent({ path: "/orders", method: "POST" }), lambdaContext);
 */
export function restProxyEvent({
  path = "/products",
  method = "GET",
  headers = {},
  ...overrides
}: {
  path?: string;
  method?: string;
  headers?: APIGatewayProxyEvent["headers"];
} & Omit<Partial<APIGatewayProxyEvent>, "path" | "headers"> = {}): APIGatewayProxyEvent {
  const all = { Host: "api.test", ...headers };
  return {
    resource: path,
    path,
    httpMethod: method,
    headers: all,
    multiValueHeaders: Object.fromEntries(
      Object.entries(all).flatMap(([name, value]) => (value === undefined ? [] : [[name, [value]]])),
    ),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    ...overrides,
    requestContext: { requestId: "req-1", ...overrides.requestContext } as APIGatewayProxyEvent["requestContext"],
  };
}

/**
 * A tenant's registry record: `acme`, ACTIVE on `basic`, or as `overrides` say.
 *
 * @example
 * const record = tenantRecord({ tenantId: "globex", tier: "enterprise", tables: { products: "globex-products" } });
 */
export function tenantRecord(overrides: Partial<TenantRecord> = {}): TenantRecord {
  return {
    tenantId: "acme",
    name: overrides.tenantId ?? "acme",
    tier: "basic",
    status: "ACTIVE",
    // Before the fixed token times tests use (`iat` 1,600,000,000 and later): a token issued
    // before its tenant was created is refused (`tokenRefusal`).
    createdAt: "2020-01-01T00:00:00.000Z",
    updatedAt: "2020-01-01T00:00:00.000Z",
    ...overrides,
  };
}

/**
 * A registry in which every tenant asked about exists and is ACTIVE on `tier` (or as `overrides` say).
 *
 * @example
 * const app = createProductsApp({ registry: activeTenantRegistry({ tier: "premium" }), verifier: refusingVerifier() });
 */
export function activeTenantRegistry(overrides: Partial<TenantRecord> = {}): TenantRegistry {
  return { get: async (tenantId) => tenantRecord({ tenantId, ...overrides }) };
}

/**
 * Configuration that answers every name with the given values.
 *
 * @example
 * const config = fixedAppConfig({ tiers: { basic: { features: { auditExport: false } } } });
 */
export function fixedAppConfig(values: Record<string, unknown>): AppConfig {
  return {
    async getJson<T>(name: string) {
      if (!(name in values)) throw new Error(`configuration '${name}' has no value`);
      return values[name] as T;
    },
  };
}

export { InMemoryIdempotencyPersistence } from "../idempotency/in-memory-persistence.ts";

/**
 * A data source that fails the test if a request gets as far as the database (for validation tests).
 *
 * @example
 * const app = createProductsApp({
 *   dataSource: unreachableDataSource(), verifier: refusingVerifier(), registry: activeTenantRegistry(),
 * });
 */
export function unreachableDataSource(): TenantDataSource {
  return {
    forTenant: () => ({
      table: () =>
        new Proxy({} as TenantTable, {
          get: () => () => {
            throw new Error("validation should have stopped this request before any data access");
          },
        }),
    }),
  };
}

/**
 * A token verifier that refuses every token (401), for requests that arrive without an authorizer.
 *
 * @example
 * app.use(tenantContext({ verifier: refusingVerifier(), registry: activeTenantRegistry() }));
 */
export function refusingVerifier(): TokenVerifier {
  return {
    verify: async () => {
      throw new UnauthorizedError("test verifier refuses everything");
    },
  };
}

/** An identity provider's RS256 signing key, for tests that sign their own tokens. */
export interface TestSigningKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** the public key as the provider's JWKS lists it (with `kid`, `alg`, `use`) */
  jwk: JWK;
  /** a key set holding only this key, for `createTokenVerifier({ jwks })` */
  jwks: JWTVerifyGetKey;
  /** signs the claims with RS256 under this key's `kid`; `header` adds to or replaces header parameters */
  sign(claims: JWTPayload, header?: Partial<JWTHeaderParameters>): Promise<string>;
}

/**
 * A fresh RS256 key pair under `kid`, with its JWK, a key set and a signer.
 *
 * @example
 * const key = await testSigningKey();
 * const verifier = createTokenVerifier({ region, userPoolId, clientId, jwks: key.jwks });
 * await verifier.verify(await key.sign({ iss, sub: "user-1", token_use: "id", ... }));
 */
export async function testSigningKey(kid = "k1"): Promise<TestSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  return {
    privateKey,
    publicKey,
    jwk,
    jwks: createLocalJWKSet({ keys: [jwk] }),
    sign: (claims, header = {}) =>
      new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid, ...header }).sign(privateKey),
  };
}

/** A user pool of the tests' own: the layer's real verifier for it, and ID tokens it signs. */
export interface TestUserPool {
  /** `createTokenVerifier` for this pool and its app client, with the pool's key set */
  verifier: TokenVerifier;
  /** an ID token of user `user-9` of tenant `acme`, a tenant-admin, valid for an hour from now; `claims` replace any of that */
  idToken(claims?: JWTPayload): Promise<string>;
}

/**
 * A user pool for tests that need tokens the real verifier accepts (or refuses, by one claim).
 *
 * @example
 * const pool = await testUserPool();
 * app.use(tenantContext({ verifier: pool.verifier, ... }));
 * await app.request("/me", { headers: { Authorization: `Bearer ${await pool.idToken()}` } });
 */
export async function testUserPool(): Promise<TestUserPool> {
  const key = await testSigningKey("pool");
  const region = "us-east-1";
  const userPoolId = "us-east-1_TEST";
  const clientId = "test-client";
  return {
    verifier: createTokenVerifier({ region, userPoolId, clientId, jwks: key.jwks }),
    idToken: (claims = {}) => {
      const now = Math.floor(Date.now() / 1000);
      return key.sign({
        iss: `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`,
        sub: "user-9",
        aud: clientId,
        token_use: "id",
        iat: now,
        exp: now + 3600,
        "custom:tenantId": "acme",
        "cognito:groups": ["tenant-admin"],
        ...claims,
      });
    },
  };
}

/** What a function wrote while captured: Powertools' log lines and EMF blobs. */
export interface CapturedOutput {
  /** everything written, as one string */
  text(): string;
  /** the JSON lines written, parsed: log lines and EMF blobs, whose shape the test checks */
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON of any shape, for expectations to inspect
  lines(): any[];
  /** puts the streams back */
  restore(): void;
}

/** The `console` methods captured besides the streams: a test runner may take them over before they reach stdout. */
const CONSOLE_METHODS = ["log", "info", "warn", "error", "debug", "trace"] as const;

/**
 * Captures stdout and stderr, where Powertools writes as on Lambda (INFO and EMF to stdout, WARN
 * and above to stderr), and what anything prints with the global `console` (a library's own
 * `console.error`, say, which vitest would otherwise take before it reaches a stream), until
 * `restore()`.
 *
 * @example
 * const output = captureOutput();
 * try { await app.request("/products"); } finally { output.restore(); }
 * expect(output.lines().filter((line) => line._aws)).toHaveLength(1);
 */
export function captureOutput(): CapturedOutput {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr];
  const writes = streams.map((stream) => stream.write);
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    }) as typeof stream.write;
  }
  const consoleMethods = CONSOLE_METHODS.map((method) => console[method]);
  for (const method of CONSOLE_METHODS) {
    console[method] = (...args: unknown[]) => {
      chunks.push(`${format(...args)}\n`);
    };
  }
  return {
    text: () => chunks.join(""),
    lines: () =>
      chunks
        .flatMap((chunk) => chunk.split("\n"))
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line)),
    restore: () => {
      streams.forEach((stream, i) => {
        stream.write = writes[i] as typeof stream.write;
      });
      CONSOLE_METHODS.forEach((method, i) => {
        console[method] = consoleMethods[i] as (typeof console)[typeof method];
      });
    },
  };
}
