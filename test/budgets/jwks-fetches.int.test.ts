/**
 * CI gate: JWKS fetches per container, at most one per 10 minutes. The verifier fetches the signing
 * keys once and lets jose cache them; a burst of verifications at cold start shares that one fetch,
 * and a token with an unknown `kid` cannot make it refetch sooner (jose's own cooldown is 30 s).
 * Keys are served by a loopback server that counts requests; the clock is faked for the minutes.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createTokenVerifier, UnauthorizedError } from "@tenantkit/tenant-context";
import { type TestSigningKey, testSigningKey } from "@tenantkit/tenant-context/testing";
import type { JWTPayload } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { CALL_EXPECTATIONS } from "../../bench/call-counts.ts";

const region = "us-east-1";
const userPoolId = "us-east-1_CALLS";
const clientId = "calls-client";
const issuer = `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;

let server: Server;
let jwksUrl: string;
let fetches = 0;
let signingKey: TestSigningKey;
/** a key the JWKS does not list, under another kid */
let strangerKey: TestSigningKey;

function token(serial: number, key = signingKey): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: JWTPayload = {
    iss: issuer,
    sub: "user-1",
    aud: clientId,
    token_use: "id",
    iat: now,
    exp: now + 3600,
    jti: `t-${serial}`,
    "custom:tenantId": "acme",
  };
  return key.sign(claims);
}

beforeAll(async () => {
  signingKey = await testSigningKey("k1");
  strangerKey = await testSigningKey("k2");
  const body = JSON.stringify({ keys: [signingKey.jwk] });
  server = createServer((_req, res) => {
    fetches++;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${userPoolId}/.well-known/jwks.json`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  vi.useRealTimers();
});

const expectation = CALL_EXPECTATIONS.find((e) => e.id === "jwks");

describe("JWKS fetches per container", () => {
  it(`${expectation?.when}: ${expectation?.expected}`, async () => {
    const verifier = createTokenVerifier({ region, userPoolId, clientId, jwksUrl });
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => token(i)));
    await Promise.all(burst.map((t) => verifier.verify(t)));
    for (let i = 20; i < 120; i++) await verifier.verify(await token(i));
    expect(fetches).toBe(1);

    const unknownKid = await token(999, strangerKey);
    await expect(verifier.verify(unknownKid)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(fetches).toBe(1);
  });

  it("an unknown kid cannot make it refetch within 10 minutes; the keys are refetched once after", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const fetchedAt = Date.now();
    const before = fetches;
    const verifier = createTokenVerifier({ region, userPoolId, clientId, jwksUrl });
    await verifier.verify(await token(1000));
    expect(fetches - before).toBe(1);

    for (const minutes of [0.5, 1, 5, 9.9]) {
      vi.setSystemTime(fetchedAt + minutes * 60_000);
      await expect(verifier.verify(await token(1000 + minutes, strangerKey))).rejects.toBeInstanceOf(UnauthorizedError);
      await verifier.verify(await token(2000 + minutes));
    }
    expect(fetches - before).toBe(1);

    vi.setSystemTime(fetchedAt + 10 * 60_000 + 1000);
    await verifier.verify(await token(3000));
    await expect(verifier.verify(await token(3001, strangerKey))).rejects.toBeInstanceOf(UnauthorizedError);
    expect(fetches - before).toBe(2);
  });
});
