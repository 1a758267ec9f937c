/**
 * Verifies Cognito JWTs: RS256 only, issuer, lifetime, token_use, client id, tenant claim. jose
 * fetches, caches and picks the signing keys; the signature and claims are checked in place
 * (compact-jwt.ts says why).
 */
import { hash } from "node:crypto";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwksCache,
} from "jose";
import { LRUCache } from "lru-cache";
import { ServiceUnavailableError, TenantIsolationError, UnauthorizedError } from "../http/errors.ts";
import { logger } from "../observability/logger.ts";
import { type ClaimRules, verifyRs256Jwt } from "./compact-jwt.ts";
import { type Role, rolesFromGroups } from "./roles.ts";

/** The claim that carries the tenant id: immutable, set only by the control plane. */
export const TENANT_CLAIM = "custom:tenantId";

/** Tenant ids are lowercase slugs; anything else in the claim is refused. */
export const TENANT_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

/**
 * A user id as a token's `sub` carries it (a UUID in Cognito): 1 to 128 characters, none of them a
 * control character (C0, DEL, C1), a line or paragraph separator, a bidirectional override or a
 * lone surrogate. Anything else is refused, wherever a user id comes from (a token, the
 * authorizer's context, an event), before it reaches a log line, an event or the audit trail.
 *
 * @example
 * if (!isUserId(authorizer.userId)) throw new UnauthorizedError("authorizer context is malformed");
 */
export function isUserId(value: unknown): value is string {
  return typeof value === "string" && /^[^\p{Cc}\p{Cs}\u2028\u2029\u202a-\u202e\u2066-\u2069]{1,128}$/u.test(value);
}

/**
 * Refuses, as an isolation violation (a 500 that reveals nothing), a tenant id that is not one: the
 * tenant's table views, secret names and STS sessions are only ever made for valid ids, so that no
 * id can reach into another tenant's key, path or tag (`acme/payments` would name acme's secrets).
 *
 * @example
 * assertTenantId(tenantId); // before building anything scoped to it
 */
export function assertTenantId(tenantId: string): void {
  if (!TENANT_ID_PATTERN.test(tenantId)) throw new TenantIsolationError(`'${tenantId}' is not a tenant id`);
}

/** Who the caller is, from a verified token. */
export interface VerifiedIdentity {
  tenantId: string;
  userId: string;
  email: string | undefined;
  roles: Role[];
  tokenUse: "id" | "access";
  /** seconds since the epoch */
  expiresAt: number;
  /** the token's `iat`, seconds since the epoch: a revocation refuses the user's tokens issued before it */
  issuedAt: number;
}

export interface TokenVerifierOptions {
  region: string;
  userPoolId: string;
  clientId: string;
  /**
   * Where the signing keys are. Defaults to the issuer's JWKS, or `<AWS_ENDPOINT_URL>/<pool>/...`
   * when the standard endpoint variable points the SDK elsewhere (the local stack).
   */
  jwksUrl?: string;
  /** the key set itself, instead of fetching `jwksUrl` (tests) */
  jwks?: JWTVerifyGetKey;
  /** tolerated clock skew for exp/nbf/iat, seconds */
  clockToleranceSeconds?: number;
  /** verified tokens remembered (keyed by a hash) until they expire */
  cacheSize?: number;
}

export interface TokenVerifier {
  /** Verifies a compact JWT; throws `UnauthorizedError` with the reason otherwise. */
  verify(token: string): Promise<VerifiedIdentity>;
}

/** The key set is fetched at most once per container per this long, whatever the tokens say. */
const JWKS_REFRESH_MS = 10 * 60 * 1000;

/** How long after they were fetched the last keys are still used while the key set's endpoint fails. */
const KEYS_KEPT_THROUGH_OUTAGE_MS = 60 * 60 * 1000;

/** How often the endpoint is tried again meanwhile, instead of on every new token. */
const OUTAGE_RETRY_MS = 30 * 1000;

/** Cognito tokens live at most a day: older ones (by `iat`) are refused whatever their `exp`. */
export const MAX_TOKEN_AGE_SECONDS = 86_400;

/** Clock skew tolerated for `exp`, `nbf` and `iat` unless a verifier is given its own, seconds. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;

/** Largest token accepted; Cognito tokens are a few KB, so anything far larger is an attack. */
const MAX_TOKEN_LENGTH = 16 * 1024;

function defaultJwksUrl(issuer: string, userPoolId: string, env: NodeJS.ProcessEnv): string {
  const endpoint = env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER ?? env.AWS_ENDPOINT_URL;
  return endpoint
    ? `${endpoint.replace(/\/$/, "")}/${userPoolId}/.well-known/jwks.json`
    : `${issuer}/.well-known/jwks.json`;
}

function identityFrom(payload: JWTPayload, clientId: string): VerifiedIdentity {
  const tokenUse = payload.token_use;
  if (tokenUse === "id") {
    if (payload.aud !== clientId) throw new UnauthorizedError("id token audience is not this app client");
  } else if (tokenUse === "access") {
    if (payload.client_id !== clientId) throw new UnauthorizedError("access token client_id is not this app client");
  } else {
    throw new UnauthorizedError("token_use is neither id nor access");
  }
  const tenantId = payload[TENANT_CLAIM];
  if (typeof tenantId !== "string" || !TENANT_ID_PATTERN.test(tenantId)) {
    throw new UnauthorizedError("tenant claim missing or malformed");
  }
  if (!isUserId(payload.sub)) throw new UnauthorizedError("sub claim missing or malformed");
  return {
    tenantId,
    userId: payload.sub,
    email: typeof payload.email === "string" ? payload.email : undefined,
    roles: rolesFromGroups(payload["cognito:groups"]),
    tokenUse,
    expiresAt: payload.exp as number,
    issuedAt: payload.iat as number,
  };
}

/** An outage of the key set's endpoint, as this container last saw it. */
interface KeySetOutage {
  /** until then the endpoint is not tried again */
  retryAt: number;
  /** the keys last fetched, while they are less than an hour old */
  kept: JWTVerifyGetKey | undefined;
  /** what the last try failed with, answered while there are no keys to keep */
  error: unknown;
}

/**
 * jose's remote key set (fetched lazily, refetched every 10 minutes and, for an unknown `kid`, not
 * sooner), kept usable through an outage of its endpoint. jose fails every token once its keys are
 * due for a refresh the endpoint cannot give, and fetches again for each, each fetch waiting up to
 * its 5 s timeout. Here, once a fetch has failed, the endpoint is tried at most every 30 s; meanwhile
 * tokens are checked with the keys last fetched while those are less than an hour old (tried in the
 * background, so no request waits for it), else refused as an outage without a fetch. A key the
 * pool rotated in during the outage is not among the kept keys: its tokens get 401.
 */
function remoteKeySet(url: URL): JWTVerifyGetKey {
  // jose records here when it last fetched the keys, and what it fetched.
  const fetched: { uat?: number; jwks?: JSONWebKeySet } = {};
  const remote = createRemoteJWKSet(url, {
    cacheMaxAge: JWKS_REFRESH_MS,
    // jose refetches for an unknown `kid` after 30 s by default, before any signature is checked:
    // anyone could make every container fetch twice a minute. A pool's keys change rarely; a new
    // one is picked up within 10 minutes.
    cooldownDuration: JWKS_REFRESH_MS,
    [jwksCache]: fetched as Record<string, never>,
  });
  const keepable = (now: number) => fetched.uat !== undefined && now - fetched.uat <= KEYS_KEPT_THROUGH_OUTAGE_MS;
  let outage: KeySetOutage | undefined;
  /** Once per try that failed, at most every 30 s: what operators see of an outage the kept keys hide. */
  const warnUnreachable = (error: unknown, keysKept: boolean) =>
    logger.warn("the signing keys are unreachable", {
      error: error as Error,
      keys_fetched_at: fetched.uat === undefined ? undefined : new Date(fetched.uat).toISOString(),
      verifying_with: keysKept ? "the keys last fetched" : "nothing: new tokens get 503",
    });

  return async (header, token) => {
    const now = Date.now();
    if (outage) {
      const kept = keepable(now) ? outage.kept : undefined;
      if (now < outage.retryAt) {
        if (kept) return kept(header, token);
        throw outage.error;
      }
      if (kept) {
        outage.retryAt = now + OUTAGE_RETRY_MS;
        remote.reload().then(
          () => {
            outage = undefined;
            logger.info("the signing keys are reachable again");
          },
          (error: unknown) => warnUnreachable(error, true),
        );
        return kept(header, token);
      }
    }
    try {
      const key = await remote(header, token);
      outage = undefined;
      return key;
    } catch (error) {
      if (!isKeySetOutage(error)) throw error;
      const kept = keepable(now) && fetched.jwks ? createLocalJWKSet(fetched.jwks) : undefined;
      outage = { retryAt: now + OUTAGE_RETRY_MS, kept, error };
      warnUnreachable(error, kept !== undefined);
      if (kept) return kept(header, token);
      throw error;
    }
  };
}

/** What the key set answers for a token whose header names no usable key: the caller's fault. */
const CALLERS_KEY_ERRORS = [errors.JWKSNoMatchingKey, errors.JWKSMultipleMatchingKeys, errors.JOSENotSupported];

/**
 * The signing keys could not be had: an outage on our side (a timeout, a refused connection, an
 * answer other than 200 or not a key set), not the caller's fault. Only the token's own checks
 * (`UnauthorizedError`) and a header naming no usable key are the caller's.
 */
function isKeySetOutage(error: unknown): boolean {
  if (error instanceof UnauthorizedError) return false;
  return !CALLERS_KEY_ERRORS.some((callersError) => error instanceof callersError);
}

function reasonOf(error: unknown): string {
  if (error instanceof UnauthorizedError) return error.reason;
  if (error instanceof errors.JOSEError) return `${error.code}: ${error.message}`;
  return "token could not be verified";
}

/**
 * Creates a verifier for one user pool and app client. Create it once per container (module
 * scope): it holds the remote JWKS (fetched lazily, cached by jose, refetched at most every 10
 * minutes, also for an unknown `kid`; its last keys kept for up to an hour while the endpoint
 * fails) and a bounded cache of verified tokens.
 *
 * @example
 * const verifier = createTokenVerifier({ region, userPoolId, clientId });
 * const identity = await verifier.verify(bearerToken);
 */
export function createTokenVerifier(
  options: TokenVerifierOptions,
  env: NodeJS.ProcessEnv = process.env,
): TokenVerifier {
  const issuer = `https://cognito-idp.${options.region}.amazonaws.com/${options.userPoolId}`;
  const jwks =
    options.jwks ?? remoteKeySet(new URL(options.jwksUrl ?? defaultJwksUrl(issuer, options.userPoolId, env)));
  const clockTolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  // Cognito tokens live at most a day; the age bound also refuses an `iat` in the future.
  const rules: ClaimRules = {
    issuer,
    required: ["sub", "token_use"],
    clockTolerance,
    maxTokenAge: MAX_TOKEN_AGE_SECONDS,
  };
  const verified = new LRUCache<string, VerifiedIdentity>({ max: options.cacheSize ?? 1000 });

  return {
    async verify(token) {
      if (token.length === 0 || token.length > MAX_TOKEN_LENGTH)
        throw new UnauthorizedError("token size out of bounds");
      const key = hash("sha256", token, "base64url");
      const nowSeconds = Date.now() / 1000;
      const cached = verified.get(key);
      // Served only until `exp` (with the tolerance verification allows): no TTL of the cache's own is needed.
      if (cached && cached.expiresAt + clockTolerance > nowSeconds) return cached;
      try {
        const identity = identityFrom(await verifyRs256Jwt(token, jwks, rules), options.clientId);
        verified.set(key, identity);
        return identity;
      } catch (error) {
        if (isKeySetOutage(error))
          throw new ServiceUnavailableError("The token signing keys are unreachable; retry later.");
        throw error instanceof UnauthorizedError ? error : new UnauthorizedError(reasonOf(error));
      }
    },
  };
}
