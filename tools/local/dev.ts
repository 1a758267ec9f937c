/** `npm run dev [-- --reset] [-- --no-watch]`: starts the local stack in the foreground and stops all of it on Ctrl-C. */
import { startLocalStack } from "./stack.ts";

const FLAGS = ["--reset", "--no-watch"];
const args = process.argv.slice(2);
const unknown = args.filter((arg) => !FLAGS.includes(arg));
if (unknown.length > 0) {
  console.error(`unknown option ${unknown.join(" ")}; usage: npm run dev [-- --reset] [-- --no-watch]`);
  process.exit(2);
}
const watch = !args.includes("--no-watch");

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got '${process.env.PORT}'`);
  process.exit(2);
}

const started = performance.now();
console.log("Starting the Tenantkit local stack (no Docker needed)");
// moto keeps every resource in memory, so each start is already empty: --reset only says so.
if (args.includes("--reset")) {
  console.log("  --reset: starting from empty (every start does: moto keeps its data in memory)");
}
const stack = await startLocalStack({
  port,
  writeInfo: true,
  watch,
  progress: (line) => console.log(`  ${line}`),
});
console.log(
  `\nReady in ${((performance.now() - started) / 1000).toFixed(1)} s: ${stack.url}\n` +
    `  token:  npm run -s token -- admin@acme.test\n` +
    `  try:    curl -H "Authorization: Bearer $(npm run -s token -- admin@acme.test)" ${stack.url}/products\n` +
    `  docs:   ${stack.url}/docs (Swagger UI), ${stack.url}/openapi.json\n` +
    (watch ? "  watch:  a change under functions/, layers/ or shared/ rebuilds and reloads what uses it\n" : "") +
    "  stop:   Ctrl-C",
);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the local stack`);
  await stack.stop();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
