/** The typed client package and its example, against the local stack: sign in through Cognito, list products, order. */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { placeOrder } from "../../clients/tenantkit-client/examples/place-order.ts";
import { smokeTest } from "../../clients/tenantkit-client/examples/smoke-test.ts";
import { ApiProblemError, createTenantkitClient, ok, signIn } from "../../clients/tenantkit-client/src/index.ts";
import { DEMO_PASSWORD } from "../../tools/local/seed.ts";
import { ACME_USER, api, stack } from "./client.ts";

const example = fileURLToPath(new URL("../../clients/tenantkit-client/examples/place-order.ts", import.meta.url));

describe("the typed client", () => {
  it("signs in, lists products and places an order exactly once per Idempotency-Key, as the example does", async () => {
    const lines: string[] = [];
    const { products, order, retried } = await placeOrder({
      url: stack.url,
      region: stack.region,
      clientId: stack.clientId,
      endpoint: stack.endpoint,
      username: ACME_USER,
      password: DEMO_PASSWORD,
      log: (line) => lines.push(line),
    });

    expect(products.length).toBeGreaterThan(0);
    expect(order).toMatchObject({ status: "PLACED", items: [{ quantity: 1 }] });
    expect(retried).toEqual(order);
    const stored = await api("GET", `/orders/${order.id}`, { as: ACME_USER });
    expect(stored.body).toEqual(order);
    expect(lines[0]).toBe(`signed in as ${ACME_USER}`);
  });

  it("runs the example script as a tenant application would", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", example], {
      env: {
        PATH: process.env.PATH,
        TENANTKIT_URL: stack.url,
        TENANTKIT_REGION: stack.region,
        TENANTKIT_CLIENT_ID: stack.clientId,
        TENANTKIT_COGNITO_ENDPOINT: stack.endpoint,
      },
    });
    expect(stdout).toMatch(/^signed in as user@acme\.test\n\d+ products: .+\nplaced order [0-9a-f-]{36}: 1 item/);
  }, 60_000);

  it("turns a problem+json answer into an ApiProblemError naming the problem", async () => {
    const tokens = await signIn({ ...stack, username: ACME_USER, password: DEMO_PASSWORD });
    const client = createTenantkitClient({ baseUrl: stack.url, token: tokens.idToken });
    const missing = await client.GET("/products/{id}", { params: { path: { id: crypto.randomUUID() } } });
    expect(missing.response.status).toBe(404);
    expect(() => ok(missing)).toThrow(ApiProblemError);
    expect(missing.error).toMatchObject({ status: 404 });
  });

  it("passes the deploy pipeline's read-only smoke test against the stack", async () => {
    const passed = await smokeTest({
      url: stack.url,
      user: { ...stack, username: ACME_USER, password: DEMO_PASSWORD },
    });
    expect(passed).toHaveLength(3);
  });

  it("refuses a wrong password with Cognito's reason", async () => {
    await expect(signIn({ ...stack, username: ACME_USER, password: "not-the-password-1" })).rejects.toMatchObject({
      code: "NotAuthorizedException",
    });
  });
});
