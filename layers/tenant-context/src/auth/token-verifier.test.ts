import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { JWTPayload, JWTVerifyGetKey } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ServiceUnavailableError, UnauthorizedError } from "../http/errors.ts";
import { captureOutput, type TestSigningKey, testSigningKey } from "../testing/index.ts";
import { createTokenVerifier, type TokenVerifier } from "./token-verifier.ts";

const region = "us-east-1";
const userPoolId = "us-east-1_TEST";
const clientId = "client-123";
const issuer = `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;

let key: TestSigningKey;
/** another key under the same kid */
let otherKey: TestSigningKey;
let verifier: TokenVerifier;

function idClaims(overrides: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: issuer,
    sub: "user-1",
    aud: clientId,
    token_use: "id",
    iat: now,
    exp: now + 3600,
    "custom:tenantId": "acme",
    "cognito:groups": ["tenant-admin", "unrelated-group"],
    email: "admin@acme.test",
    ...overrides,
  };
}

function sign(claims: JWTPayload) {
  return key.sign(claims);
}

async function refusal(token: string, by: TokenVerifier = verifier): Promise<string> {
  const error = await by.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnauthorizedError);
  return (error as UnauthorizedError).reason;
}

beforeAll(async () => {
  key = await testSigningKey("k1");
  otherKey = await testSigningKey("k1");
  verifier = createTokenVerifier({ region, userPoolId, clientId, jwks: key.jwks });
});

/** A verifier whose key set is fetched from a loopback server that answers every fetch with `answer`. */
async function verifierFetchingFrom(answer: (response: ServerResponse) => void) {
  const server = createServer((_request, response) => answer(response));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const jwksUrl = `http://127.0.0.1:${port}/jwks.json`;
  return { verifier: createTokenVerifier({ region, userPoolId, clientId, jwksUrl }), close: () => server.close() };
}

describe("createTokenVerifier", () => {
  it("accepts a Cognito ID token and reads tenant, user and roles from it", async () => {
    const identity = await verifier.verify(await sign(idClaims()));
    expect(identity).toMatchObject({ tenantId: "acme", userId: "user-1", roles: ["tenant-admin"], tokenUse: "id" });
  });

  it("accepts an access token carrying the tenant claim and this client id", async () => {
    const { aud: _aud, ...claims } = idClaims({ token_use: "access", client_id: clientId });
    expect((await verifier.verify(await sign(claims))).tokenUse).toBe("access");
  });

  it("rejects an unsigned token (alg none)", async () => {
    const header = Buffer.from(JSON.stringify({ alg: "none", kid: "k1" })).toString("base64url");
    const body = Buffer.from(JSON.stringify(idClaims())).toString("base64url");
    await refusal(`${header}.${body}.`);
  });

  it("rejects a token signed by another key with the same kid", async () => {
    await refusal(await otherKey.sign(idClaims()));
  });

  it("rejects a token whose payload was altered after signing", async () => {
    const [header, , signature] = (await sign(idClaims())).split(".");
    const forged = Buffer.from(JSON.stringify(idClaims({ "custom:tenantId": "globex" }))).toString("base64url");
    await refusal(`${header}.${forged}.${signature}`);
  });

  it("rejects an expired token", async () => {
    const past = Math.floor(Date.now() / 1000) - 7200;
    expect(await refusal(await sign(idClaims({ iat: past, exp: past + 60 })))).toMatch(/exp/);
  });

  it("rejects a token not valid yet", async () => {
    expect(await refusal(await sign(idClaims({ nbf: Math.floor(Date.now() / 1000) + 600 })))).toMatch(/nbf/);
  });

  it("rejects a token of another issuer", async () => {
    await refusal(await sign(idClaims({ iss: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OTHER" })));
  });

  it("rejects an ID token for another app client", async () => {
    expect(await refusal(await sign(idClaims({ aud: "other-client" })))).toMatch(/audience/);
  });

  it("rejects an access token for another app client", async () => {
    const { aud: _aud, ...claims } = idClaims({ token_use: "access", client_id: "other-client" });
    expect(await refusal(await sign(claims))).toMatch(/client_id/);
  });

  it("rejects a token_use other than id or access", async () => {
    expect(await refusal(await sign(idClaims({ token_use: "refresh" })))).toMatch(/token_use/);
  });

  it("rejects a token without a tenant claim", async () => {
    expect(await refusal(await sign(idClaims({ "custom:tenantId": undefined })))).toMatch(/tenant claim/);
  });

  it("rejects a malformed tenant claim", async () => {
    expect(await refusal(await sign(idClaims({ "custom:tenantId": "../globex" })))).toMatch(/tenant claim/);
  });

  it.each([
    ["no sub", undefined],
    ["an empty sub", ""],
    ["a sub with a line break", "user-1\nforged log line"],
    ["a sub longer than 128 characters", "u".repeat(129)],
  ])("rejects a token with %s", async (_, sub) => {
    expect(await refusal(await sign(idClaims({ sub })))).toMatch(/"?sub"? claim/);
  });

  it("rejects an oversized token without parsing it", async () => {
    expect(await refusal("a".repeat(20_000))).toMatch(/size/);
  });

  it("rejects garbage", async () => {
    await refusal("not.a.jwt");
  });

  it("rejects a token that names a claim twice, even when signed", async () => {
    const header = Buffer.from(JSON.stringify({ alg: "RS256", kid: "k1" })).toString("base64url");
    const claims = JSON.stringify(idClaims()).replace(/}$/, ',"custom:tenantId":"globex"}');
    const payload = Buffer.from(claims).toString("base64url");
    const { createSign } = await import("node:crypto");
    const signature = createSign("RSA-SHA256")
      .update(`${header}.${payload}`)
      .sign(await import("node:crypto").then(({ KeyObject }) => KeyObject.from(key.privateKey)))
      .toString("base64url");
    expect(await refusal(`${header}.${payload}.${signature}`)).toMatch(/repeats/);
  });

  it("rejects a token issued in the future", async () => {
    const later = Math.floor(Date.now() / 1000) + 3600;
    await refusal(await sign(idClaims({ iat: later, exp: later + 3600 })));
  });

  it("answers 503, not 401, when the signing keys cannot be fetched", async () => {
    const offline = createTokenVerifier({ region, userPoolId, clientId, jwksUrl: "http://127.0.0.1:9/jwks.json" });
    const error = await offline.verify(await sign(idClaims())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
  });

  it.each([
    ["answers 500", 500, '{"message":"internal error"}'],
    ["answers 200 with something that is not JSON", 200, "<html>maintenance</html>"],
    ["answers 200 with JSON that is no key set", 200, '{"keys":"none"}'],
  ])("answers 503, not 401, when the key set endpoint %s", async (_, status, body) => {
    const broken = await verifierFetchingFrom((response) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(body);
    });
    try {
      const error = await broken.verifier.verify(await sign(idClaims())).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceUnavailableError);
    } finally {
      broken.close();
    }
  });

  it("goes on with the keys it last fetched while their endpoint fails, trying it every 30 s, for up to an hour after the fetch", async () => {
    let failing = false;
    let fetches = 0;
    const keySet = await verifierFetchingFrom((response) => {
      fetches++;
      response.writeHead(failing ? 503 : 200, { "content-type": "application/json" });
      response.end(failing ? "{}" : JSON.stringify({ keys: [key.jwk] }));
    });
    const { verifier } = keySet;
    vi.useFakeTimers({ toFake: ["Date"] });
    const output = captureOutput();
    const warnings = () => output.lines().filter((line) => line.message === "the signing keys are unreachable");
    try {
      const start = Date.now();
      const at = (minutes: number) => vi.setSystemTime(start + minutes * 60_000);
      const newToken = async () => sign(idClaims({ jti: crypto.randomUUID() }));
      await verifier.verify(await newToken());
      expect(fetches).toBe(1);

      // The keys are due for their refresh; the endpoint fails: the last keys still verify.
      failing = true;
      at(11);
      await verifier.verify(await newToken());
      expect(fetches).toBe(2);
      expect(warnings()).toHaveLength(1);
      expect(warnings()[0]).toMatchObject({ level: "WARN", verifying_with: "the keys last fetched" });
      // Within 30 s, no new attempt; after, one, in the background: the token is answered meanwhile.
      at(11.4);
      await verifier.verify(await newToken());
      expect(fetches).toBe(2);
      at(12);
      await verifier.verify(await newToken());
      await vi.waitFor(() => expect(fetches).toBe(3));
      await vi.waitFor(() => expect(warnings()).toHaveLength(2));

      // An hour after the keys were fetched, they are not used any more: one try, then 503 without
      // a fetch for 30 s.
      at(61);
      for (let i = 0; i < 3; i++) {
        const error = await verifier.verify(await newToken()).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ServiceUnavailableError);
      }
      expect(fetches).toBe(4);
      expect(warnings().at(-1)).toMatchObject({ verifying_with: "nothing: new tokens get 503" });
      expect(warnings()).toHaveLength(3);

      // Once it answers again, its keys are used, and refreshed every 10 minutes again.
      failing = false;
      at(62);
      await verifier.verify(await newToken());
      const answered = fetches;
      at(70);
      await verifier.verify(await newToken());
      expect(fetches).toBe(answered);
    } finally {
      output.restore();
      vi.useRealTimers();
      keySet.close();
    }
  });

  it("answers 401 for a token whose key id the key set does not have", async () => {
    const header = Buffer.from(JSON.stringify({ alg: "RS256", kid: "no-such-key" })).toString("base64url");
    const [, payload, signature] = (await sign(idClaims())).split(".");
    expect(await refusal(`${header}.${payload}.${signature}`)).toMatch(/ERR_JWKS_NO_MATCHING_KEY/);
  });
});

describe("the verified-token cache", () => {
  /** A verifier whose key set counts its lookups: one lookup per token actually verified. */
  function countingVerifier(cacheSize?: number) {
    const lookups = { count: 0 };
    const jwks: JWTVerifyGetKey = (header, token) => {
      lookups.count += 1;
      return key.jwks(header, token);
    };
    return { lookups, verifier: createTokenVerifier({ region, userPoolId, clientId, jwks, cacheSize }) };
  }

  afterEach(() => {
    vi.useRealTimers();
  });

  it("verifies a token once, then answers from the cache", async () => {
    const { lookups, verifier } = countingVerifier();
    const token = await sign(idClaims());
    const first = await verifier.verify(token);
    expect(await verifier.verify(token)).toEqual(first);
    expect(lookups.count).toBe(1);
  });

  it("does not serve a tampered copy of a cached token from the cache", async () => {
    const { verifier } = countingVerifier();
    const token = await sign(idClaims());
    await verifier.verify(token);
    const [header, , signature] = token.split(".");
    const forged = Buffer.from(JSON.stringify(idClaims({ "custom:tenantId": "globex" }))).toString("base64url");
    expect(await refusal(`${header}.${forged}.${signature}`, verifier)).toMatch(/signature/);
  });

  it("refuses a cached token once it has expired", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { verifier } = countingVerifier();
    const now = Math.floor(Date.now() / 1000);
    const token = await sign(idClaims({ iat: now, exp: now + 60 }));
    await verifier.verify(token);
    // still within the 5 s clock tolerance after exp: accepted, as verification itself would
    vi.setSystemTime((now + 64) * 1000);
    await verifier.verify(token);
    vi.setSystemTime((now + 66) * 1000);
    expect(await refusal(token, verifier)).toMatch(/"exp"/);
  });

  it("holds at most cacheSize tokens, dropping the least recently used", async () => {
    const { lookups, verifier } = countingVerifier(2);
    const [a, b, c] = await Promise.all(["a", "b", "c"].map((jti) => sign(idClaims({ jti }))));
    for (const token of [a, b, a, c]) await verifier.verify(token as string);
    expect(lookups.count).toBe(3);
    await verifier.verify(a as string); // kept: used more recently than b
    expect(lookups.count).toBe(3);
    await verifier.verify(b as string); // dropped for c
    expect(lookups.count).toBe(4);
  });
});
