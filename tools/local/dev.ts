/** `npm run dev`: starts the local stack in the foreground and stops all of it on Ctrl-C. */
import { startLocalStack } from "./stack.ts";

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got '${process.env.PORT}'`);
  process.exit(2);
}

const started = performance.now();
console.log("Starting the Tenantkit local stack (no Docker needed)");
const stack = await startLocalStack({
  port,
  writeInfo: true,
  progress: (line) => console.log(`  ${line}`),
});
console.log(
  `\nReady in ${((performance.now() - started) / 1000).toFixed(1)} s: ${stack.url}\n` +
    `  token:  npm run -s token -- admin@acme.test\n` +
    `  try:    curl -H "Authorization: Bearer $(npm run -s token -- admin@acme.test)" ${stack.url}/products\n` +
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
