/**
 * A read-only smoke test of a deployed stage (the deploy workflow runs it after each deployment):
 *   TENANTKIT_URL=https://abc.execute-api.eu-west-1.amazonaws.com/dev npm run smoke -w @tenantkit/client
 * With TENANTKIT_REGION, TENANTKIT_CLIENT_ID, TENANTKIT_USER and TENANTKIT_PASSWORD (a smoke-test
 * user of a tenant) it also signs in and reads a page of products. It writes nothing.
 */
import { createTenantkitClient, ok, signIn } from "../src/index.ts";

export interface SmokeSettings {
  url: string;
  /** a user to sign in with; without one only the unauthenticated checks run */
  user?: { region: string; clientId: string; username: string; password: string; endpoint?: string };
  log?: (line: string) => void;
}

const PROBLEM = "application/problem+json";

async function expectProblem(response: Response, status: number, what: string): Promise<void> {
  const type = response.headers.get("content-type") ?? "";
  const body = await response.text();
  if (response.status !== status || !type.startsWith(PROBLEM)) {
    throw new Error(`${what}: expected ${status} ${PROBLEM}, got ${response.status} ${type}: ${body.slice(0, 200)}`);
  }
}

/**
 * Checks that the gateway, the authorizer and a function answer as they should, without writing.
 *
 * @example
 * await smokeTest({ url: "https://abc.execute-api.eu-west-1.amazonaws.com/dev", log: console.log });
 */
export async function smokeTest(settings: SmokeSettings): Promise<string[]> {
  const url = settings.url.replace(/\/$/, "");
  const passed: string[] = [];
  const pass = (line: string) => {
    passed.push(line);
    settings.log?.(`ok: ${line}`);
  };

  await expectProblem(await fetch(`${url}/products`), 401, "GET /products without a token");
  pass("GET /products without a token is 401 problem+json (gateway and authorizer)");

  // A public route whose validation runs in its Lambda function: 400 proves the function runs, nothing is written.
  const invalid = await fetch(`${url}/registrations`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: "", adminEmail: "not-an-email" }),
  });
  await expectProblem(invalid, 400, "POST /registrations with an invalid body");
  pass("POST /registrations with an invalid body is 400 problem+json (a function ran, nothing written)");

  if (settings.user) {
    const tokens = await signIn(settings.user);
    const api = createTenantkitClient({ baseUrl: url, token: tokens.idToken });
    const page = ok(await api.GET("/products", { params: { query: { limit: 1 } } }));
    pass(`signed in as ${settings.user.username}; GET /products answered ${page.items.length} item(s)`);
  }
  return passed;
}

if (process.argv[1] === import.meta.filename) {
  const env = process.env;
  if (!env.TENANTKIT_URL) {
    console.error("set TENANTKIT_URL to the stage's URL (the stack's ApiUrl output)");
    process.exit(2);
  }
  const user =
    env.TENANTKIT_REGION && env.TENANTKIT_CLIENT_ID && env.TENANTKIT_USER && env.TENANTKIT_PASSWORD
      ? {
          region: env.TENANTKIT_REGION,
          clientId: env.TENANTKIT_CLIENT_ID,
          username: env.TENANTKIT_USER,
          password: env.TENANTKIT_PASSWORD,
          ...(env.TENANTKIT_COGNITO_ENDPOINT && { endpoint: env.TENANTKIT_COGNITO_ENDPOINT }),
        }
      : undefined;
  try {
    await smokeTest({ url: env.TENANTKIT_URL, user, log: (line) => console.log(line) });
  } catch (error) {
    console.error(`smoke test failed: ${(error as Error).message}`);
    process.exit(1);
  }
}
