/**
 * Log hygiene (issue 3): tokens, tenants' secrets and Authorization headers never reach what the
 * functions write, and every line is structured, with the keys of the request (or event) it is about.
 * Real requests go through the local stack; then every line its functions wrote during the e2e run
 * (this suite's and every other suite's running alongside) is searched.
 */
import { readFile } from "node:fs/promises";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { FunctionLogLine } from "../../tools/local/gateway/index.ts";
import { DEMO_PASSWORD } from "../../tools/local/seed.ts";
import { signIn } from "../../tools/local/sign-in.ts";
import { LOCAL_STAGE } from "../../tools/local/stack.ts";
import { eventually } from "../support/eventually.ts";
import { call } from "./support/http.ts";
import { onboardTestTenant, type StackWithResources, withResources } from "./support/local-stack.ts";

let stack: StackWithResources;

/** What Lambda's runtime itself writes when an invocation fails (the authorizer's `Unauthorized`, say). */
const RUNTIME_LINE = /^(Invoke Error|Init Error|LAMBDA_RUNTIME) /;

beforeAll(async () => {
  stack = await withResources(inject("localStack"));
});

async function functionLines(): Promise<FunctionLogLine[]> {
  const text = await readFile(inject("functionLogFile"), "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as FunctionLogLine);
}

/** Everything the functions wrote, once their lines show that they have logged what was just sent. */
async function loggedOnce(done: (lines: FunctionLogLine[]) => boolean): Promise<string> {
  const lines = await eventually(functionLines, done, 5_000);
  if (!done(lines)) throw new Error("the functions never logged the requests this test made");
  return lines.map((entry) => entry.line).join("\n");
}

describe("what the functions log", () => {
  it("never holds an ID or access token, any part of one, or an Authorization header's value", async () => {
    const tenant = await onboardTestTenant(stack, "logs");
    const { idToken, accessToken } = await signIn({ ...stack, email: tenant.admin.email, password: DEMO_PASSWORD });
    const forge = (token: string) => `${token.slice(0, token.lastIndexOf(".") + 1)}Zm9yZ2VkLXNpZ25hdHVyZQ`;
    const forged = [forge(idToken), forge(accessToken)];
    const basic = "bG9nLWh5Z2llbmUtYmFzaWMtY3JlZGVudGlhbHM";
    const product = { name: "Logged product", priceCents: 100, currency: "EUR", stock: 1 };

    // Refused, which is a path that logs too.
    for (const token of forged) {
      expect((await call(stack.url, "GET", "/products", { token })).status).toBe(401);
    }
    expect((await call(stack.url, "GET", "/products", { headers: { Authorization: `Basic ${basic}` } })).status).toBe(
      401,
    );
    // Accepted last (the access token carries the tenant claim the pre-token-generation trigger put
    // in it): once the products function has logged all three (its metrics lines name the tenant),
    // every earlier request's lines are in too, and the check below is not of an empty log.
    expect((await call(stack.url, "GET", "/products?limit=1", { token: idToken })).status).toBe(200);
    expect((await call(stack.url, "GET", "/products?limit=1", { token: accessToken })).status).toBe(200);
    expect((await call(stack.url, "POST", "/products", { token: idToken, body: product })).status).toBe(201);
    const logged = await loggedOnce(
      (lines) =>
        lines.filter((entry) => entry.functionId === "ProductsFunction" && entry.line.includes(tenant.tenantId))
          .length >= 3,
    );
    for (const token of [idToken, accessToken, ...forged]) {
      for (const part of token.split(".")) expect(logged).not.toContain(part);
    }
    expect(logged).not.toContain(basic);
    expect(logged).not.toMatch(/Bearer [\w-]+\./);
  });

  it("never holds a tenant's secret, from its onboarding on", async () => {
    const slug = `log-hygiene-${crypto.randomUUID().slice(0, 8)}`;
    const fromRegistrations = (lines: FunctionLogLine[]) =>
      lines.filter((entry) => entry.functionId === "RegistrationsFunction").length;
    const before = fromRegistrations(await functionLines());
    const registered = await call(stack.url, "POST", "/registrations", {
      body: { name: slug, adminEmail: `admin@${slug}.test` },
      retryThrottled: true,
    });
    expect(registered.status).toBe(201);
    const { SecretString: secret } = await new SecretsManagerClient({}).send(
      new GetSecretValueCommand({
        SecretId: `/${LOCAL_STAGE}/tenants/${registered.body.tenantId}/webhook-signing-key`,
      }),
    );
    expect(secret).toEqual(expect.any(String));
    // Onboarding logs nothing at INFO, but its metrics line shows that its output is in; then what
    // every function wrote so far is searched.
    const logged = await loggedOnce((lines) => fromRegistrations(lines) > before);
    expect(logged).not.toContain(secret);
  });

  it("is structured: one JSON object per line, and a line about a tenant names its tier, correlation id and user", async () => {
    const tenant = await onboardTestTenant(stack, "log-keys");
    const product = await call(stack.url, "POST", "/products", {
      token: tenant.admin.token,
      body: { name: "Keyed product", priceCents: 100, currency: "EUR", stock: 5 },
    });
    expect(product.status).toBe(201);
    const order = await call(stack.url, "POST", "/orders", {
      token: tenant.user.token,
      headers: { "Idempotency-Key": crypto.randomUUID() },
      body: { items: [{ productId: product.body.id, quantity: 1 }] },
    });
    expect(order.status).toBe(201);
    // The audit consumer's line about this order: an event's lines carry the keys of a request's.
    const audited = (entry: FunctionLogLine) =>
      entry.functionId === "AuditConsumerFunction" &&
      entry.line.includes(tenant.tenantId) &&
      entry.line.includes("OrderPlaced");
    const lines = await eventually(functionLines, (all) => all.some(audited), 20_000);
    const userId = JSON.parse(Buffer.from(tenant.user.token.split(".")[1] ?? "", "base64url").toString()).sub;
    expect(JSON.parse(lines.find(audited)?.line ?? "{}")).toMatchObject({
      tenant_id: tenant.tenantId,
      tier: tenant.tier,
      user_id: userId,
      correlation_id: order.headers.get("x-correlation-id"),
    });

    // Every line every function wrote in this run, apart from the runtime's own report of a failed invocation.
    // (The local stack's event-source mappings write under "event-sources": not a function's lines.)
    const written = lines.filter((entry) => entry.functionId !== "event-sources" && !RUNTIME_LINE.test(entry.line));
    expect(written.filter((entry) => !entry.line.startsWith("{")).map((entry) => entry.line)).toEqual([]);
    const logLines = written.map((entry) => JSON.parse(entry.line)).filter((line) => !line._aws);
    const aboutATenant = logLines.filter((line) => line.tenant_id !== undefined);
    expect(aboutATenant.length).toBeGreaterThan(0);
    for (const line of aboutATenant) {
      const keys = { tier: expect.any(String), correlation_id: expect.any(String) };
      // A request's lines name its user; an event's, the user whose request caused it, if one did (not a sign-up).
      if (line.event_id === undefined) Object.assign(keys, { user_id: expect.any(String) });
      expect(line, line.message).toEqual(expect.objectContaining(keys));
    }
  });
});
