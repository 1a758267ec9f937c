/**
 * `npm run load [-- --tenants 4 --connections 4 --duration 60]`: starts a local stack of its own,
 * runs the accounted load (see load.ts), prints rate, p50/p99 and the reconciliation, and exits
 * non-zero when anything does not reconcile.
 */
import "../security/support/quiet.ts";
import { parseArgs } from "node:util";
import { startLocalStack } from "../../tools/local/stack.ts";
import { withResources } from "../security/support/local-stack.ts";
import { formatReport, runLoad } from "./load.ts";

const { values } = parseArgs({
  options: {
    tenants: { type: "string", default: "4" },
    connections: { type: "string", default: "4" },
    duration: { type: "string", default: "60" },
  },
});
const number = (name: string, value: string | undefined) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    console.error(`--${name} must be a positive whole number, got '${value}'`);
    process.exit(2);
  }
  return parsed;
};
const tenants = number("tenants", values.tenants);
const connectionsPerTenant = number("connections", values.connections);
const durationSeconds = number("duration", values.duration);

console.log("Starting a local stack for the load run");
const local = await startLocalStack({ port: 0, progress: (line) => console.log(`  ${line}`), functionLog: () => {} });
let exitCode = 1;
try {
  const stack = await withResources({ ...local });
  const report = await runLoad({
    stack,
    tenants,
    connectionsPerTenant,
    durationSeconds,
    log: (line) => console.log(`… ${line}`),
  });
  console.log(`\n${formatReport(report)}`);
  exitCode = report.reconciled ? 0 : 1;
} finally {
  await local.stop();
}
process.exit(exitCode);
