/**
 * The parts of RS256 JWT verification that run on the request's own thread: parsing the compact
 * serialization strictly, checking the signature with `node:crypto`'s synchronous `verify`, and
 * validating the registered claims the way jose's `jwtVerify` does for the options we use.
 *
 * Why not jose's `jwtVerify` itself: jose verifies only asynchronously (WebCrypto in jose 6), on
 * libuv's thread pool. The round trip to that pool costs about 200 µs per new token inside a
 * request on a 2-core VM, against some 20 µs for the RSA check done in place; see
 * docs/BENCHMARKS.md. jose still fetches, caches and selects the signing keys, and a property
 * test (compact-jwt.test.ts) checks that these functions accept exactly the tokens `jwtVerify`
 * accepts.
 */
import { KeyObject, verify } from "node:crypto";
import type { JWTHeaderParameters, JWTPayload, JWTVerifyGetKey } from "jose";
import { UnauthorizedError } from "../http/errors.ts";
import { hasDuplicateKeys } from "./duplicate-keys.ts";

/** A compact JWS split and decoded; nothing in it is verified yet. */
export interface DecodedJwt {
  header: JWTHeaderParameters;
  payload: JWTPayload;
  /** the three base64url segments as received */
  segments: { protected: string; payload: string; signature: string };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes one segment, refusing anything but canonical base64url (no padding, no stray characters). */
function bytesOf(segment: string, what: string): Buffer {
  const bytes = Buffer.from(segment, "base64url");
  if (segment === "" || bytes.toString("base64url") !== segment) {
    throw new UnauthorizedError(`token ${what} is not base64url`);
  }
  return bytes;
}

/** A header or payload: UTF-8 JSON, a single object, no member named twice (parsers disagree on which wins). */
function jsonObjectOf(segment: string, what: string): Record<string, unknown> {
  let json: string;
  let value: unknown;
  try {
    json = utf8.decode(bytesOf(segment, what));
    value = JSON.parse(json);
  } catch (error) {
    if (error instanceof UnauthorizedError) throw error;
    throw new UnauthorizedError(`token ${what} is not JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UnauthorizedError(`token ${what} is not a JSON object`);
  }
  if (hasDuplicateKeys(json)) throw new UnauthorizedError("token repeats a header or claim name");
  return value as Record<string, unknown>;
}

/**
 * Splits and decodes a compact JWS whose algorithm must be RS256; refuses every other shape.
 *
 * @example
 * const { header, payload } = decodeRs256Jwt(token); // header.kid picks the key
 */
export function decodeRs256Jwt(token: string): DecodedJwt {
  const parts = token.split(".");
  if (parts.length !== 3) throw new UnauthorizedError("token is not a compact JWS");
  const [protectedHeader, payload, signature] = parts as [string, string, string];
  const header = jsonObjectOf(protectedHeader, "header");
  // Only RS256: this refuses `none`, HMAC with the public key as secret, and PSS or other hashes.
  if (header.alg !== "RS256") throw new UnauthorizedError("token algorithm is not RS256");
  // No extension is understood here, so none may be critical (RFC 7515 §4.1.11).
  if (header.crit !== undefined) throw new UnauthorizedError("token names a critical header extension");
  return {
    header: header as JWTHeaderParameters,
    payload: jsonObjectOf(payload, "payload") as JWTPayload,
    segments: { protected: protectedHeader, payload, signature },
  };
}

/** Keys checked (and converted) once per key object the key set hands out: it caches its keys itself. */
const verificationKeys = new WeakMap<object, KeyObject>();

/** The public key as `node:crypto` wants it: RSA (not RSA-PSS), at least 2048 bits. */
export function rsaVerificationKey(key: unknown): KeyObject {
  if (typeof key !== "object" || key === null) throw new TypeError("the signing key is not an RSA public key");
  let keyObject = verificationKeys.get(key);
  if (!keyObject) {
    keyObject = checkedRsaPublicKey(key);
    verificationKeys.set(key, keyObject);
  }
  return keyObject;
}

function checkedRsaPublicKey(key: object): KeyObject {
  const keyObject = key instanceof CryptoKey ? KeyObject.from(key) : key;
  if (!(keyObject instanceof KeyObject) || keyObject.type !== "public" || keyObject.asymmetricKeyType !== "rsa") {
    throw new TypeError("the signing key is not an RSA public key");
  }
  if ((keyObject.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new TypeError("the signing key is shorter than 2048 bits");
  }
  return keyObject;
}

/**
 * Checks the RS256 (RSASSA-PKCS1-v1_5, SHA-256) signature in place, synchronously.
 *
 * @example
 * assertRs256Signature(decodeRs256Jwt(token), rsaVerificationKey(await jwks(header, token)));
 */
export function assertRs256Signature(jwt: DecodedJwt, key: KeyObject): void {
  const { protected: protectedHeader, payload, signature } = jwt.segments;
  const signed = Buffer.from(`${protectedHeader}.${payload}`, "latin1");
  if (!verify("sha256", signed, key, bytesOf(signature, "signature"))) {
    throw new UnauthorizedError("signature verification failed");
  }
}

export interface ClaimRules {
  issuer: string;
  /** claims that must be present (besides `iss`, `iat`, `exp`) */
  required: readonly string[];
  /** seconds of clock skew tolerated for exp, nbf and iat */
  clockTolerance: number;
  /** the oldest `iat` accepted, in seconds */
  maxTokenAge: number;
  /** seconds since the epoch; default now */
  now?: number;
}

function numericDate(payload: JWTPayload, claim: "iat" | "nbf" | "exp"): number | undefined {
  const value = payload[claim];
  if (value !== undefined && typeof value !== "number") throw new UnauthorizedError(`"${claim}" claim is not a number`);
  return value;
}

/**
 * Validates issuer, presence and lifetime claims with the semantics of jose's `jwtVerify`
 * (`issuer`, `requiredClaims`, `clockTolerance`, `maxTokenAge`).
 *
 * @example
 * assertRegisteredClaims(payload, { issuer, required: ["sub"], clockTolerance: 5, maxTokenAge: 86_400 });
 */
export function assertRegisteredClaims(payload: JWTPayload, rules: ClaimRules): void {
  for (const claim of ["iss", "iat", "exp", ...rules.required]) {
    if (!Object.hasOwn(payload, claim)) throw new UnauthorizedError(`missing required "${claim}" claim`);
  }
  if (payload.iss !== rules.issuer) throw new UnauthorizedError('unexpected "iss" claim value');
  const now = rules.now ?? Math.floor(Date.now() / 1000);
  const tolerance = rules.clockTolerance;
  const iat = numericDate(payload, "iat") as number;
  const nbf = numericDate(payload, "nbf");
  if (nbf !== undefined && nbf > now + tolerance) throw new UnauthorizedError('"nbf" claim timestamp check failed');
  const exp = numericDate(payload, "exp") as number;
  if (exp <= now - tolerance) throw new UnauthorizedError('"exp" claim timestamp check failed');
  const age = now - iat;
  if (age - tolerance > rules.maxTokenAge) throw new UnauthorizedError('"iat" claim is too far in the past');
  if (age < -tolerance) throw new UnauthorizedError('"iat" claim is in the future');
}

/**
 * The whole check, in order: decode, verify the signature with the key the key set picks for the
 * header, then validate the registered claims. Returns the payload; throws `UnauthorizedError`
 * (or the key set's own error, e.g. for an unknown `kid`).
 *
 * @example
 * const payload = await verifyRs256Jwt(token, createRemoteJWKSet(jwksUrl), rules);
 */
export async function verifyRs256Jwt(token: string, jwks: JWTVerifyGetKey, rules: ClaimRules): Promise<JWTPayload> {
  const jwt = decodeRs256Jwt(token);
  assertRs256Signature(jwt, rsaVerificationKey(await jwks(jwt.header, jwt.segments)));
  assertRegisteredClaims(jwt.payload, rules);
  return jwt.payload;
}
