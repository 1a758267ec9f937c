/** Vitest globalSetup of the e2e project: the whole local stack, as `npm run dev` starts it, on free ports. */
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type {} from "vitest";
import type { TestProject } from "vitest/node";
import { printFunctionLog } from "../../tools/local/gateway/index.ts";
import { type StackInfo, startLocalStack } from "../../tools/local/stack.ts";
import type { ResolveContext } from "../../tools/local/template.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** How to reach the local stack of this test run, and what the template's Refs resolve to in it. */
    localStack: StackInfo & { context: ResolveContext };
    /** Every line the stack's functions wrote, one JSON `FunctionLogLine` per line, as they come. */
    functionLogFile: string;
  }
}

export default async function setup(project: TestProject) {
  const logDir = mkdtempSync(join(tmpdir(), "tenantkit-e2e-logs-"));
  const functionLogFile = join(logDir, "functions.ndjson");
  const stack = await startLocalStack({
    port: 0,
    progress: (line) => console.log(`[local stack] ${line}`),
    // Kept for the suites that read what functions logged; printed too with TENANTKIT_FUNCTION_LOGS=1
    // (they would bury the test report otherwise).
    functionLog: (entry) => {
      appendFileSync(functionLogFile, `${JSON.stringify(entry)}\n`);
      if (process.env.TENANTKIT_FUNCTION_LOGS) printFunctionLog(entry);
    },
  });
  const { stop: _stop, ...info } = stack;
  project.provide("localStack", info);
  project.provide("functionLogFile", functionLogFile);
  return async () => {
    await stack.stop();
    rmSync(logDir, { recursive: true, force: true });
  };
}
