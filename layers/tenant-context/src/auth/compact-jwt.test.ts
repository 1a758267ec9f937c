import { generateKeyPairSync } from "node:crypto";
import fc from "fast-check";
import { errors, type JWTPayload, jwtVerify } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { UnauthorizedError } from "../http/errors.ts";
import { type TestSigningKey, testSigningKey } from "../testing/index.ts";
import {
  assertRegisteredClaims,
  assertRs256Signature,
  decodeRs256Jwt,
  rsaVerificationKey,
  verifyRs256Jwt,
} from "./compact-jwt.ts";

const issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TEST";
const NOW = 1_800_000_000;
const rules = { issuer, required: ["sub", "token_use"], clockTolerance: 5, maxTokenAge: 86_400, now: NOW };
/** The same rules, in jose's words. */
const joseOptions = {
  issuer,
  algorithms: ["RS256"],
  clockTolerance: 5,
  maxTokenAge: "1d",
  requiredClaims: ["exp", "iat", "sub", "token_use"],
  currentDate: new Date(NOW * 1000),
};

let key: TestSigningKey;

beforeAll(async () => {
  key = await testSigningKey("k1");
});

/** True when the token passes the checks the verifier runs. */
async function accepts(token: string): Promise<boolean> {
  try {
    await verifyRs256Jwt(token, key.jwks, rules);
    return true;
  } catch (error) {
    // the key set refuses an unknown kid with a JOSEError, which the verifier answers 401 too
    if (error instanceof UnauthorizedError || error instanceof errors.JOSEError) return false;
    throw error;
  }
}

const joseAccepts = (token: string) =>
  jwtVerify(token, key.jwks, joseOptions).then(
    () => true,
    () => false,
  );

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** The last character of a 256-byte signature carries 2 bits and 4 spare ones: flipping a spare one keeps the bytes. */
const sameBytesOtherChar = (char: string) => BASE64URL[BASE64URL.indexOf(char) ^ 1] as string;

/** Why `check` refused, or "accepted". */
function reasonOf(check: () => void): string {
  try {
    check();
  } catch (error) {
    if (error instanceof UnauthorizedError) return error.reason;
    throw error;
  }
  return "accepted";
}

const valid = (): JWTPayload => ({ iss: issuer, sub: "u1", token_use: "id", iat: NOW - 60, exp: NOW + 3600 });

/** Mostly the valid value, sometimes one of the others: so that most tokens fail on one claim at most. */
const mostly = <T>(valid: T, ...others: T[]) =>
  fc.oneof({ arbitrary: fc.constant(valid), weight: 6 }, { arbitrary: fc.constantFrom(...others), weight: 1 });
/** Numbers one second either side of each bound, and values of the wrong type. */
const around = (...bounds: number[]) => bounds.flatMap((bound) => [bound - 1, bound, bound + 1].map((t) => NOW + t));
const notNumbers = ["1800000000", null, true, [NOW]];

describe("RS256 verification in place", () => {
  it("accepts exactly the tokens jose's jwtVerify accepts with the same rules", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          iss: mostly<unknown>(issuer, `${issuer}/`, "https://example.com", undefined, 7),
          sub: mostly<unknown>("u1", undefined),
          token_use: mostly<unknown>("id", undefined),
          iat: mostly<unknown>(NOW - 60, undefined, ...around(5, -86_405), ...notNumbers),
          exp: mostly<unknown>(NOW + 3600, undefined, ...around(-5), ...notNumbers),
          nbf: mostly<unknown>(undefined, ...around(5), ...notNumbers),
        }),
        mostly<Record<string, unknown>>(
          {},
          { typ: "JWT" },
          { kid: "unknown" },
          { jku: "https://attacker.test/jwks.json" },
        ),
        mostly("none", "payload", "signature"),
        async (claims, header, tamper) => {
          let token = await key.sign(claims as JWTPayload, header);
          const [h, p, s] = token.split(".") as [string, string, string];
          if (tamper === "payload")
            token = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: "u2" })).toString("base64url")}.${s}`;
          if (tamper === "signature") token = `${h}.${p}.${s.startsWith("A") ? "B" : "A"}${s.slice(1)}`;
          expect(await accepts(token)).toBe(await joseAccepts(token));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("accepts a genuine token and refuses one with an altered signature", async () => {
    const token = await key.sign(valid());
    expect(await accepts(token)).toBe(true);
    const [h, p, s] = token.split(".") as [string, string, string];
    expect(await accepts(`${h}.${p}.${s.slice(0, -2)}${s.endsWith("AA") ? "AB" : "AA"}`)).toBe(false);
  });

  it("refuses every algorithm but RS256, and any critical extension", async () => {
    const [, p, s] = (await key.sign(valid())).split(".") as [string, string, string];
    const withHeader = (header: object) => `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${p}.${s}`;
    for (const alg of ["none", "HS256", "PS256", "RS512", "rs256", undefined]) {
      expect(reasonOf(() => decodeRs256Jwt(withHeader({ alg, kid: "k1" })))).toMatch(/not RS256/);
    }
    const critical = withHeader({ alg: "RS256", kid: "k1", crit: ["b64"], b64: true });
    expect(reasonOf(() => decodeRs256Jwt(critical))).toMatch(/critical/);
  });

  it("refuses segments that are not canonical base64url JSON objects, before any signature check", async () => {
    const token = await key.sign(valid());
    const [h, p, s] = token.split(".") as [string, string, string];
    const b64 = (text: string) => Buffer.from(text).toString("base64url");
    const genuineKey = rsaVerificationKey(key.publicKey);
    const refusal = (candidate: string) => reasonOf(() => assertRs256Signature(decodeRs256Jwt(candidate), genuineKey));
    expect(refusal(token)).toBe("accepted");
    const cases: [string, RegExp][] = [
      [`${h}=.${p}.${s}`, /header is not base64url/], // padding
      [`${h}.${p}.${s}=`, /signature is not base64url/],
      [`${h}.${p.slice(0, -1)}+${p.at(-1)}.${s}`, /payload is not base64url/], // base64, not base64url
      [`${h}.${p}.${s}!`, /signature is not base64url/],
      [`${h}.${p}.${s.slice(0, -1)}${sameBytesOtherChar(s.at(-1) as string)}`, /signature is not base64url/], // same bytes, spare bits set
      [`${h}.${b64("[1]")}.${s}`, /payload is not a JSON object/],
      [`${h}.${b64("null")}.${s}`, /payload is not a JSON object/],
      [`${h}.${Buffer.from([0x7b, 0xff, 0x7d]).toString("base64url")}.${s}`, /payload is not JSON/], // not UTF-8
      [`${h}..${s}`, /payload is not base64url/],
      [`${h}.${p}.`, /signature is not base64url/],
      [`${h}.${p}`, /not a compact JWS/],
    ];
    for (const [candidate, reason] of cases) expect(refusal(candidate), candidate).toMatch(reason);
  });

  it("wants an RSA public key of at least 2048 bits", () => {
    expect(() => rsaVerificationKey(generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey)).toThrow(/2048/);
    expect(() => rsaVerificationKey(generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey)).toThrow(/RSA/);
    expect(() => rsaVerificationKey(generateKeyPairSync("rsa-pss", { modulusLength: 2048 }).publicKey)).toThrow(/RSA/);
    expect(() => rsaVerificationKey(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey)).toThrow(/RSA/);
  });

  it("names the claim that failed", () => {
    const refusal = (payload: JWTPayload) => reasonOf(() => assertRegisteredClaims(payload, rules));
    const { iss: _iss, token_use: _tokenUse, ...anonymous } = valid();
    expect(refusal(valid())).toBe("accepted");
    expect(refusal({ ...valid(), exp: NOW - 6 })).toMatch(/"exp"/);
    expect(refusal({ ...valid(), nbf: NOW + 6 })).toMatch(/"nbf"/);
    expect(refusal({ ...valid(), iat: NOW + 6 })).toMatch(/"iat".*future/);
    expect(refusal({ ...valid(), iat: NOW - 86_406 })).toMatch(/"iat".*past/);
    expect(refusal({ ...valid(), iss: "https://example.com" })).toMatch(/"iss"/);
    expect(refusal({ ...anonymous, iss: issuer })).toMatch(/"token_use"/);
    expect(refusal({ ...anonymous, token_use: "id" })).toMatch(/"iss"/);
  });
});
