/**
 * JWT attacks (OWASP API2, RFC 8725): every forged, tampered or ill-claimed token is refused, both
 * by the API's Lambda authorizer (through the local gateway) and by the tenantContext middleware
 * when a function is invoked directly (it verifies the token itself). Positive controls prove that
 * a genuine token and a token minted with good claims are accepted, so each refusal is due to the
 * one thing the case breaks.
 */
import "./support/quiet.ts";
import {
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { createCognitoIdentityProvider } from "@tenantkit/shared/identity-provider";
import { createTenantRegistry, createTokenVerifier } from "@tenantkit/tenant-context";
import { type CryptoKey, exportJWK } from "jose";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { createProductsApp } from "../../functions/products/app.ts";
import { DEMO_PASSWORD } from "../../tools/local/seed.ts";
import { signIn } from "../../tools/local/sign-in.ts";
import { call, PROBLEM_CONTENT_TYPE } from "./support/http.ts";
import {
  freshTenantId,
  onboardTestTenant,
  type StackWithResources,
  setTenantStatus,
  type TestTenant,
  withResources,
} from "./support/local-stack.ts";
import {
  attackerKeyPair,
  b64url,
  IDP_KID,
  identityProviderKey,
  identityProviderPublicPem,
  parseToken,
  sign,
  signRaw,
} from "./support/tokens.ts";

let stack: StackWithResources;
let tenant: TestTenant;
let victim: TestTenant;
let genuine: string;
/** the same user's access token, as the local stack's user pool issues it (trigger included) */
let genuineAccess: string;
/** the genuine token's claims: every minted token starts from these */
let claims: Record<string, unknown>;
let idpKey: CryptoKey;
let app: ReturnType<typeof createProductsApp>;
let inactiveTenantToken: string;
let otherPoolToken: string;
let otherClientToken: string;

const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  stack = await withResources(inject("localStack"));
  [tenant, victim] = await Promise.all([onboardTestTenant(stack, "jwt"), onboardTestTenant(stack, "jwt-victim")]);
  // The victim has data, so a token accepted as the victim's shows it.
  const planted = await call(stack.url, "POST", "/products", {
    token: victim.admin.token,
    body: { name: "victim secret", priceCents: 1, currency: "EUR", stock: 1 },
  });
  expect(planted.status).toBe(201);
  genuine = tenant.user.token;
  claims = parseToken(genuine).payload;
  genuineAccess = (await signIn({ ...stack, email: tenant.user.email, password: DEMO_PASSWORD })).accessToken;
  idpKey = await identityProviderKey();
  const refs = stack.context.refs;
  app = createProductsApp({
    tables: { products: refs.ProductsTable as string },
    verifier: createTokenVerifier({ region: stack.region, userPoolId: stack.userPoolId, clientId: stack.clientId }),
    registry: createTenantRegistry({ tableName: refs.TenantsTable as string }),
  });

  // A tenant that was deactivated before any of its tokens reached the API (nothing cached).
  const inactive = await onboardTestTenant(stack, "jwt-inactive");
  await setTenantStatus(stack, inactive.tenantId, "INACTIVE");
  inactiveTenantToken = inactive.admin.token;

  // Another user pool (same local identity provider, same signing key) whose admin claims the victim's tenant.
  const cognito = new CognitoIdentityProviderClient({});
  const { UserPool } = await cognito.send(
    new CreateUserPoolCommand({
      PoolName: `attacker-pool-${freshTenantId("p")}`,
      Schema: [{ Name: "tenantId", AttributeDataType: "String", Mutable: false }],
    }),
  );
  const otherPoolId = UserPool?.Id as string;
  const { UserPoolClient } = await cognito.send(
    new CreateUserPoolClientCommand({
      UserPoolId: otherPoolId,
      ClientName: "attacker-app",
      ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH"],
    }),
  );
  const email = `admin@${victim.tenantId}.attacker.test`;
  await cognito.send(new CreateGroupCommand({ UserPoolId: otherPoolId, GroupName: "tenant-admin" }));
  await createCognitoIdentityProvider(otherPoolId, cognito).createUser({
    email,
    tenantId: victim.tenantId,
    role: "tenant-admin",
    password: DEMO_PASSWORD,
  });
  otherPoolToken = (
    await signIn({ ...stack, clientId: UserPoolClient?.ClientId as string, email, password: DEMO_PASSWORD })
  ).idToken;

  // Another app client of the right user pool.
  const otherClient = await cognito.send(
    new CreateUserPoolClientCommand({
      UserPoolId: stack.userPoolId,
      ClientName: `other-app-${freshTenantId("c")}`,
      ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH"],
    }),
  );
  otherClientToken = (
    await signIn({
      ...stack,
      clientId: otherClient.UserPoolClient?.ClientId as string,
      email: tenant.user.email,
      password: DEMO_PASSWORD,
    })
  ).idToken;
  cognito.destroy();
});

/** Claims of the genuine token with changes (undefined removes a claim), fresh lifetime. */
function claimsWith(changes: Record<string, unknown>): Record<string, unknown> {
  // Issued now: a token issued before its tenant was created (the test tenant is seconds old) is refused.
  const merged: Record<string, unknown> = { ...claims, iat: now(), exp: now() + 3600, ...changes };
  for (const [name, value] of Object.entries(changes)) if (value === undefined) delete merged[name];
  return merged;
}

/** Signed with the local identity provider's own key: only the claims are wrong. */
const idpSigned = (changes: Record<string, unknown>) =>
  sign(claimsWith(changes), idpKey, { alg: "RS256", kid: IDP_KID });

const issuerOf = (poolId: string, region = stack.region) => `https://cognito-idp.${region}.amazonaws.com/${poolId}`;

interface AttackCase {
  name: string;
  token: () => Promise<string> | string;
  /** 401 for a token that does not verify, 403 for a verified caller whose tenant may not use the API */
  status?: 401 | 403;
  /** the gateway (Node's HTTP server) may refuse an oversized header before the authorizer runs */
  gatewayStatuses?: number[];
}

const unsigned = (header: object, payload: object, signature = "") =>
  `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${signature}`;

const cases: AttackCase[] = [
  // --- algorithm and key confusion
  { name: "alg none, no signature", token: () => unsigned({ alg: "none", typ: "JWT" }, claimsWith({})) },
  { name: "alg NoNe (case variant), no signature", token: () => unsigned({ alg: "NoNe" }, claimsWith({})) },
  {
    name: "alg none keeping a genuine signature",
    token: () => unsigned({ alg: "none", kid: IDP_KID }, claimsWith({}), parseToken(genuine).parts.signature),
  },
  {
    name: "HS256 signed with the identity provider's public key as the HMAC secret",
    token: async () =>
      sign(claimsWith({}), new TextEncoder().encode(await identityProviderPublicPem()), { alg: "HS256", kid: IDP_KID }),
  },
  {
    name: "HS256 with kid path traversal and an empty-file secret",
    token: () => sign(claimsWith({}), new Uint8Array([0]), { alg: "HS256", kid: "../../../../../dev/null" }),
  },
  {
    name: "RS256 by an attacker key with an unknown kid",
    token: async () => sign(claimsWith({}), (await attackerKeyPair()).privateKey, { alg: "RS256", kid: "attacker" }),
  },
  {
    name: "RS256 by another issuer's key under the identity provider's kid",
    token: async () => sign(claimsWith({}), (await attackerKeyPair()).privateKey, { alg: "RS256", kid: IDP_KID }),
  },
  {
    name: "attacker key embedded in the header (jwk)",
    token: async () => {
      const { privateKey, publicKey } = await attackerKeyPair();
      return sign(claimsWith({}), privateKey, { alg: "RS256", jwk: await exportJWK(publicKey) });
    },
  },
  {
    name: "attacker key set by URL (jku)",
    token: async () =>
      sign(claimsWith({}), (await attackerKeyPair()).privateKey, {
        alg: "RS256",
        kid: "attacker",
        jku: "http://127.0.0.1:9/.well-known/jwks.json",
      }),
  },
  {
    name: "PS256 with the identity provider's key (algorithm substitution)",
    token: async () => sign(claimsWith({}), await identityProviderKey("PS256"), { alg: "PS256", kid: IDP_KID }),
  },
  {
    name: "RS512 with the identity provider's key (algorithm substitution)",
    token: async () => sign(claimsWith({}), await identityProviderKey("RS512"), { alg: "RS512", kid: IDP_KID }),
  },
  {
    name: "unknown critical header extension",
    token: () =>
      signRaw(
        JSON.stringify({ alg: "RS256", kid: IDP_KID, crit: ["x-tenant"], "x-tenant": "any" }),
        JSON.stringify(claimsWith({})),
        idpKey,
      ),
  },

  // --- tampering
  {
    name: "tampered payload (tenant claim changed, genuine signature)",
    token: () => {
      const { parts } = parseToken(genuine);
      return `${parts.header}.${b64url(JSON.stringify({ ...claims, "custom:tenantId": victim.tenantId }))}.${parts.signature}`;
    },
  },
  {
    name: "tampered payload (groups escalated to system-admin, genuine signature)",
    token: () => {
      const { parts } = parseToken(genuine);
      return `${parts.header}.${b64url(JSON.stringify({ ...claims, "cognito:groups": ["system-admin"] }))}.${parts.signature}`;
    },
  },
  {
    name: "tampered signature (one bit flipped)",
    token: () => {
      const { parts } = parseToken(genuine);
      const signature = Buffer.from(parts.signature, "base64url");
      signature[10] = (signature[10] ?? 0) ^ 1;
      return `${parts.header}.${parts.payload}.${signature.toString("base64url")}`;
    },
  },
  { name: "signature stripped", token: () => `${genuine.split(".").slice(0, 2).join(".")}.` },

  // --- lifetime
  { name: "expired an hour ago", token: () => idpSigned({ iat: now() - 7200, exp: now() - 3600 }) },
  { name: "expired 30 seconds ago (beyond the clock tolerance)", token: () => idpSigned({ exp: now() - 30 }) },
  { name: "nbf an hour in the future", token: () => idpSigned({ nbf: now() + 3600 }) },
  { name: "iat an hour in the future", token: () => idpSigned({ iat: now() + 3600, exp: now() + 7200 }) },
  { name: "no exp claim", token: () => idpSigned({ exp: undefined }) },
  { name: "exp as a string", token: () => idpSigned({ exp: String(now() + 3600) }) },

  // --- issuer, audience, client, token use
  { name: "wrong issuer (another user pool id)", token: () => idpSigned({ iss: issuerOf("us-east-1_AttackerPool") }) },
  { name: "issuer of another region", token: () => idpSigned({ iss: issuerOf(stack.userPoolId, "eu-west-1") }) },
  { name: "issuer with a trailing slash", token: () => idpSigned({ iss: `${issuerOf(stack.userPoolId)}/` }) },
  { name: "no issuer", token: () => idpSigned({ iss: undefined }) },
  { name: "wrong audience (another client id)", token: () => idpSigned({ aud: "attacker-client-id" }) },
  {
    name: "audience as an array that includes the client id",
    token: () => idpSigned({ aud: [stack.clientId, "other"] }),
  },
  { name: "no audience on an id token", token: () => idpSigned({ aud: undefined }) },
  {
    name: "access token with another client_id",
    token: () => idpSigned({ token_use: "access", aud: undefined, client_id: "attacker-client-id" }),
  },
  { name: "token_use access on an id token (no client_id)", token: () => idpSigned({ token_use: "access" }) },
  { name: "token_use refresh", token: () => idpSigned({ token_use: "refresh" }) },
  { name: "no token_use", token: () => idpSigned({ token_use: undefined }) },
  { name: "token from another user pool (same identity provider key)", token: () => otherPoolToken },
  { name: "token issued to another app client of the user pool", token: () => otherClientToken },

  // --- subject and tenant claims
  { name: "no sub", token: () => idpSigned({ sub: undefined }) },
  { name: "empty sub", token: () => idpSigned({ sub: "" }) },
  { name: "no tenant claim", token: () => idpSigned({ "custom:tenantId": undefined }) },
  { name: "tenant claim in upper case", token: () => idpSigned({ "custom:tenantId": tenant.tenantId.toUpperCase() }) },
  { name: "tenant claim with path traversal", token: () => idpSigned({ "custom:tenantId": `../${victim.tenantId}` }) },
  {
    name: "tenant claim naming two tenants",
    token: () => idpSigned({ "custom:tenantId": `${tenant.tenantId},${victim.tenantId}` }),
  },
  { name: "tenant claim as an array", token: () => idpSigned({ "custom:tenantId": [victim.tenantId] }) },
  {
    name: "tenant claim of a tenant that does not exist",
    token: () => idpSigned({ "custom:tenantId": freshTenantId("ghost") }),
  },
  { name: "a deactivated tenant's genuine token", token: () => inactiveTenantToken, status: 403 },

  // --- duplicate members (RFC 7519 §4, RFC 7515 §4: reject, or risk two parsers disagreeing)
  {
    name: "duplicate tenant claim (the second names another tenant), signed by the identity provider",
    token: () => {
      const json = JSON.stringify(claimsWith({})).replace(/}$/, `,"custom:tenantId":"${victim.tenantId}"}`);
      return signRaw(JSON.stringify({ alg: "RS256", kid: IDP_KID }), json, idpKey);
    },
  },
  {
    name: "duplicate alg header parameter (none, then RS256), signed by the identity provider",
    token: () => signRaw(`{"alg":"none","kid":"${IDP_KID}","alg":"RS256"}`, JSON.stringify(claimsWith({})), idpKey),
  },

  // --- malformed encodings and sizes
  { name: "malformed base64 in the header", token: () => `ey!!.${genuine.split(".")[1]}.${genuine.split(".")[2]}` },
  {
    name: "payload that is not JSON",
    token: () => `${genuine.split(".")[0]}.${b64url("not json")}.${genuine.split(".")[2]}`,
  },
  {
    name: "payload that is a JSON array",
    token: () => signRaw(JSON.stringify({ alg: "RS256", kid: IDP_KID }), "[1,2]", idpKey),
  },
  { name: "two segments", token: () => genuine.split(".").slice(0, 2).join(".") },
  { name: "four segments", token: () => `${genuine}.${genuine.split(".")[2]}` },
  { name: "five segments (a JWE shape)", token: () => "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d" },
  {
    name: "oversized token (20 KB, padded claim signed by the identity provider)",
    token: () => idpSigned({ padding: "x".repeat(20_000) }),
    gatewayStatuses: [401, 431],
  },
];

/** The same request through the gateway (authorizer) and straight into the function (middleware verifies). */
async function bothPaths(token: string) {
  const gateway = await call(stack.url, "GET", "/products", { headers: { Authorization: `Bearer ${token}` } });
  const direct = await app.request(
    "/products",
    { headers: { Authorization: `Bearer ${token}` } },
    { event: { requestContext: { requestId: "jwt-attack" } } },
  );
  return {
    gateway,
    direct: { status: direct.status, type: direct.headers.get("content-type"), text: await direct.text() },
  };
}

describe("positive controls", () => {
  it("accepts the genuine token on both paths", async () => {
    const { gateway, direct } = await bothPaths(genuine);
    expect(gateway.status, gateway.text).toBe(200);
    expect(direct.status, direct.text).toBe(200);
  });

  it("accepts the genuine access token, whose tenant claim the pre-token-generation trigger put in it", async () => {
    expect(parseToken(genuineAccess).payload).toMatchObject({
      token_use: "access",
      client_id: stack.clientId,
      "custom:tenantId": tenant.tenantId,
    });
    expect(parseToken(genuineAccess).payload.aud).toBeUndefined();
    const { gateway, direct } = await bothPaths(genuineAccess);
    expect(gateway.status, gateway.text).toBe(200);
    expect(direct.status, direct.text).toBe(200);
  });

  it("accepts a token minted with the identity provider's key and the genuine claims", async () => {
    const { gateway, direct } = await bothPaths(await idpSigned({ jti: crypto.randomUUID() }));
    expect(gateway.status, gateway.text).toBe(200);
    expect(direct.status, direct.text).toBe(200);
  });
});

describe(`JWT attacks (${cases.length} cases): none accepted`, () => {
  it.each(cases)("refuses: $name", async ({ token, status = 401, gatewayStatuses }) => {
    const { gateway, direct } = await bothPaths(await token());

    const accepted = `the gateway accepted it: ${gateway.status} ${gateway.text.slice(0, 200)}`;
    expect(gatewayStatuses ?? [status], accepted).toContain(gateway.status);
    if (gateway.status !== 431) {
      expect(gateway.headers.get("content-type")).toContain(PROBLEM_CONTENT_TYPE);
    }
    expect(gateway.text).not.toContain('"items"');

    expect(direct.status, `a direct invocation accepted it: ${direct.status} ${direct.text.slice(0, 200)}`).toBe(
      status,
    );
    expect(direct.type).toBe(PROBLEM_CONTENT_TYPE);
    expect(direct.text).not.toContain('"items"');
  });

  it("refuses malformed Authorization headers", async () => {
    for (const header of [
      `Basic ${genuine}`,
      genuine,
      `Bearer ${genuine} ${genuine}`,
      "Bearer",
      `Bearer  ${genuine}x`,
    ]) {
      const res = await call(stack.url, "GET", "/products", { headers: { Authorization: header } });
      expect(res.status, header.slice(0, 40)).toBe(401);
    }
  });
});
