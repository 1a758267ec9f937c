/** `npm run -s token -- <email> [--access]`: prints only a token of a seeded user of the running local stack. */
import { readFile } from "node:fs/promises";
import { DEMO_PASSWORD } from "./seed.ts";
import { signIn } from "./sign-in.ts";
import { type StackInfo, stackInfoPath } from "./stack.ts";

const args = process.argv.slice(2);
const email = args.find((a) => !a.startsWith("--"));
if (!email) {
  console.error("usage: npm run -s token -- <email> [--access]   (e.g. admin@acme.test)");
  process.exit(2);
}

let info: StackInfo;
try {
  info = JSON.parse(await readFile(stackInfoPath, "utf8")) as StackInfo;
} catch {
  console.error("The local stack is not running: start it with `npm run dev` in another terminal.");
  process.exit(1);
}

try {
  const tokens = await signIn({ ...info, email, password: process.env.TENANTKIT_PASSWORD ?? DEMO_PASSWORD });
  process.stdout.write(`${args.includes("--access") ? tokens.accessToken : tokens.idToken}\n`);
} catch (error) {
  console.error(`Could not sign in ${email}: ${(error as Error).message}`);
  process.exit(1);
}
