/**
 * Mints JWTs for the attack suites: with the local identity provider's own signing key (moto signs
 * every user pool's tokens with one RS256 key shipped inside moto, kid "dummy"), with attacker keys,
 * or byte by byte when a token must be malformed in a way no library would produce.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { type CryptoKey, exportSPKI, generateKeyPair, importJWK, type JWK, SignJWT } from "jose";
import { repoRoot } from "../../../tools/local/template.ts";

/** moto's key files (plain or gzipped, depending on the moto release), inside the project's virtualenv. */
function motoResource(name: string): string {
  const lib = join(repoRoot, ".venv/lib");
  for (const python of existsSync(lib) ? readdirSync(lib) : []) {
    const base = join(lib, python, "site-packages/moto/cognitoidp/resources", name);
    if (existsSync(base)) return readFileSync(base, "utf8");
    if (existsSync(`${base}.gz`)) return gunzipSync(readFileSync(`${base}.gz`)).toString("utf8");
  }
  throw new Error(`moto's ${name} was not found under ${lib}: run npm run setup:python`);
}

export const IDP_KID = "dummy";

const toBigInt = (b64: string) => BigInt(`0x${Buffer.from(b64, "base64url").toString("hex") || "0"}`);

function fromBigInt(value: bigint): string {
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex").toString("base64url");
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r, oldS, s] = [a % m, m, 1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % m) + m) % m;
}

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));

/**
 * moto ships its private key as n, e, d only; WebCrypto needs the CRT parameters too. They follow
 * from n, e and d (factor n with the usual randomised square-root-of-one search, RFC 8017 notes).
 */
function withCrtParameters(jwk: JWK): JWK {
  const [n, e, d] = [toBigInt(jwk.n as string), toBigInt(jwk.e as string), toBigInt(jwk.d as string)];
  let t = e * d - 1n;
  let s = 0n;
  while (t % 2n === 0n) {
    t /= 2n;
    s += 1n;
  }
  for (let g = 2n; g < 1000n; g++) {
    let x = modPow(g, t, n);
    for (let i = 0n; i < s; i++) {
      const y = (x * x) % n;
      if (y === 1n && x !== 1n && x !== n - 1n) {
        const p = gcd(x - 1n, n);
        const q = n / p;
        return {
          ...jwk,
          p: fromBigInt(p),
          q: fromBigInt(q),
          dp: fromBigInt(d % (p - 1n)),
          dq: fromBigInt(d % (q - 1n)),
          qi: fromBigInt(modInverse(q, p)),
        };
      }
      x = y;
    }
  }
  throw new Error("could not factor the identity provider's RSA modulus");
}

/**
 * The local identity provider's private signing key (a local stack's token proves nothing
 * elsewhere), imported for `alg` (another RSA algorithm gives the algorithm-substitution attack).
 */
export async function identityProviderKey(alg = "RS256"): Promise<CryptoKey> {
  const { alg: _alg, use: _use, kid: _kid, ...jwk } = JSON.parse(motoResource("jwks-private.json")) as JWK;
  return (await importJWK(withCrtParameters(jwk), alg)) as CryptoKey;
}

/** The identity provider's public key as a PEM, for the HS256-with-the-public-key attack. */
export async function identityProviderPublicPem(): Promise<string> {
  const { keys } = JSON.parse(motoResource("jwks-public.json")) as { keys: JWK[] };
  const key = (await importJWK(keys[0] as JWK, "RS256", { extractable: true })) as CryptoKey;
  return exportSPKI(key);
}

export const b64url = (value: string | Uint8Array) => Buffer.from(value).toString("base64url");

export const decodePart = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));

/** Splits a compact JWS into its decoded header and payload and its raw parts. */
export function parseToken(token: string) {
  const [header = "", payload = "", signature = ""] = token.split(".");
  return { header: decodePart(header), payload: decodePart(payload), parts: { header, payload, signature } };
}

/** Signs claims with any key, header and algorithm (jose validates neither claims nor header contents). */
export async function sign(
  claims: Record<string, unknown>,
  key: CryptoKey | Uint8Array,
  header: Record<string, unknown> & { alg: string },
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header).sign(key);
}

/**
 * Signs exactly the given header and payload text (so they can hold duplicate members, which no
 * JSON serializer writes) with RS256 and the given key.
 */
export async function signRaw(headerJson: string, payloadJson: string, key: CryptoKey): Promise<string> {
  const signingInput = `${b64url(headerJson)}.${b64url(payloadJson)}`;
  const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, new TextEncoder().encode(signingInput));
  return `${signingInput}.${b64url(new Uint8Array(signature))}`;
}

/** A fresh RSA key pair that no identity provider knows. */
export async function attackerKeyPair() {
  return generateKeyPair("RS256", { extractable: true });
}
