/** Vitest globalSetup of the integration project: a fresh moto server with template.yaml provisioned. */
import type {} from "vitest";
import type { TestProject } from "vitest/node";
import { startMoto } from "../../tools/local/moto.ts";
import { provision } from "../../tools/local/provision.ts";
import type { ResolveContext } from "../../tools/local/template.ts";

export const testStackName = "tenantkit-test";

declare module "vitest" {
  export interface ProvidedContext {
    /** The moto server of this test run and what the template's `Ref`/`GetAtt` resolve to in it. */
    localAws: { endpoint: string; context: ResolveContext };
  }
}

export default async function setup(project: TestProject) {
  const moto = await startMoto();
  try {
    const context = await provision({
      endpoint: moto.endpoint,
      stackName: testStackName,
      parameters: { Stage: "local" },
    });
    project.provide("localAws", { endpoint: moto.endpoint, context });
  } catch (error) {
    await moto.stop();
    throw error;
  }
  return () => moto.stop();
}
