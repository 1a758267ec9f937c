/** Vitest globalSetup of the e2e project: the whole local stack, as `npm run dev` starts it, on free ports. */
import type {} from "vitest";
import type { TestProject } from "vitest/node";
import { type StackInfo, startLocalStack } from "../../tools/local/stack.ts";
import type { ResolveContext } from "../../tools/local/template.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** How to reach the local stack of this test run, and what the template's Refs resolve to in it. */
    localStack: StackInfo & { context: ResolveContext };
  }
}

export default async function setup(project: TestProject) {
  const stack = await startLocalStack({
    port: 0,
    progress: (line) => console.log(`[local stack] ${line}`),
    // Function logs would bury the test report; set TENANTKIT_FUNCTION_LOGS=1 to see them.
    ...(!process.env.TENANTKIT_FUNCTION_LOGS && { functionLog: () => {} }),
  });
  const { stop: _stop, ...info } = stack;
  project.provide("localStack", info);
  return () => stack.stop();
}
