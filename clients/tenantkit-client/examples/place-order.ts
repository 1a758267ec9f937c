/**
 * Example of a tenant application: signs in through Cognito, lists the tenant's products and
 * places an order. Against the local stack (`npm run dev` in another terminal):
 *   npm run example -w @tenantkit/client
 * Against a deployed stage: TENANTKIT_URL, TENANTKIT_REGION, TENANTKIT_CLIENT_ID, TENANTKIT_USER
 * and TENANTKIT_PASSWORD (from the stack's outputs and a user of a tenant); TENANTKIT_COGNITO_ENDPOINT
 * points the sign-in elsewhere than AWS (another local stack's moto).
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createTenantkitClient, type Order, ok, type Product, signIn } from "../src/index.ts";

export interface PlaceOrderSettings {
  /** the API's URL */
  url: string;
  region: string;
  clientId: string;
  /** Cognito's endpoint when it is not AWS's (the local stack's moto) */
  endpoint?: string;
  username: string;
  password: string;
  log?: (line: string) => void;
}

export interface PlaceOrderResult {
  products: Product[];
  order: Order;
  /** the same request sent again with the same Idempotency-Key: the same order, not a second one */
  retried: Order;
}

/**
 * The whole flow, as a tenant application would write it.
 *
 * @example
 * const { order } = await placeOrder({ url, region, clientId, username, password });
 */
export async function placeOrder(settings: PlaceOrderSettings): Promise<PlaceOrderResult> {
  const log = settings.log ?? (() => {});
  const tokens = await signIn({
    region: settings.region,
    clientId: settings.clientId,
    username: settings.username,
    password: settings.password,
    ...(settings.endpoint && { endpoint: settings.endpoint }),
  });
  log(`signed in as ${settings.username}`);
  const api = createTenantkitClient({ baseUrl: settings.url, token: tokens.idToken });

  const page = ok(await api.GET("/products", { params: { query: { limit: 20 } } }));
  log(`${page.items.length} products: ${page.items.map((p) => `${p.name} (${p.stock} in stock)`).join(", ")}`);
  const product = page.items.find((p) => p.stock > 0);
  if (!product) throw new Error("no product in stock to order");

  // The key makes a retry safe: sent again (after a timeout, say), it places no second order.
  const idempotencyKey = randomUUID();
  const request = {
    params: { header: { "idempotency-key": idempotencyKey } },
    body: { items: [{ productId: product.id, quantity: 1 }] },
  };
  const order = ok(await api.POST("/orders", request));
  log(`placed order ${order.id}: ${order.items.length} item(s), ${order.totalCents} ${order.currency} cents`);
  const retried = ok(await api.POST("/orders", request));
  log(`retried with the same Idempotency-Key: order ${retried.id}`);
  return { products: page.items, order, retried };
}

/** Settings from TENANTKIT_* variables, else from the running local stack's `.tenantkit/stack.json`. */
async function settingsFromEnvironment(): Promise<PlaceOrderSettings> {
  const env = process.env;
  const username = env.TENANTKIT_USER ?? "user@acme.test";
  // The local stack's demo password (README); a deployed stage needs TENANTKIT_PASSWORD.
  const password = env.TENANTKIT_PASSWORD ?? "Tenantkit-demo-1";
  if (env.TENANTKIT_URL && env.TENANTKIT_REGION && env.TENANTKIT_CLIENT_ID) {
    return {
      url: env.TENANTKIT_URL,
      region: env.TENANTKIT_REGION,
      clientId: env.TENANTKIT_CLIENT_ID,
      ...(env.TENANTKIT_COGNITO_ENDPOINT && { endpoint: env.TENANTKIT_COGNITO_ENDPOINT }),
      username,
      password,
    };
  }
  const stackFile = new URL("../../../.tenantkit/stack.json", import.meta.url);
  const stack = JSON.parse(await readFile(stackFile, "utf8").catch(() => "null"));
  if (!stack)
    throw new Error(
      "start the local stack with `npm run dev`, or set TENANTKIT_URL, TENANTKIT_REGION and TENANTKIT_CLIENT_ID",
    );
  return {
    url: stack.url,
    region: stack.region,
    clientId: stack.clientId,
    endpoint: stack.endpoint,
    username,
    password,
  };
}

if (process.argv[1] === import.meta.filename) {
  try {
    await placeOrder({ ...(await settingsFromEnvironment()), log: (line) => console.log(line) });
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
