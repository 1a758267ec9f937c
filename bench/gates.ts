/**
 * Gates: runs the CI gates of test/budgets (bundle size budgets, the no-Scan check, the call counts)
 * through vitest, exactly as `npm test` runs them, and records each gate's outcome for the report.
 */
import { spawn } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { repoRoot } from "../tools/local/template.ts";
import { benchRoot } from "./support/bench-build.ts";
import type { Benchmark } from "./support/context.ts";

export interface GateOutcome {
  file: string;
  title: string;
  status: string;
  durationMs: number;
  failure?: string;
}

export interface GatesResult {
  command: string;
  passed: number;
  failed: number;
  gates: GateOutcome[];
}

interface VitestJson {
  testResults: {
    name: string;
    assertionResults: { title: string; status: string; duration?: number; failureMessages?: string[] }[];
  }[];
}

const vitestArgs = ["run", "--project", "unit", "--project", "integration", "test/budgets"];

export const gates: Benchmark<GatesResult> = {
  name: "gates",
  async run(context) {
    const output = join(benchRoot, "gates.json");
    context.log(`npx vitest ${vitestArgs.join(" ")}`);
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [join(repoRoot, "node_modules/vitest/vitest.mjs"), ...vitestArgs, "--reporter=json", `--outputFile=${output}`],
        {
          cwd: repoRoot,
          // as in the functions' environment; without it Powertools warns on every flush
          env: { ...process.env, POWERTOOLS_METRICS_NAMESPACE: "Tenantkit" },
          stdio: ["ignore", "ignore", "inherit"],
        },
      );
      child.once("error", reject);
      // a failing gate is a result to record, not a crash of the benchmark run
      child.once("exit", () => resolve());
    });
    const report = JSON.parse(await readFile(output, "utf8")) as VitestJson;
    await rm(output, { force: true });
    const outcomes: GateOutcome[] = report.testResults.flatMap((file) =>
      file.assertionResults.map((test) => ({
        file: file.name.replace(repoRoot, ""),
        title: test.title,
        status: test.status,
        durationMs: Math.round(test.duration ?? 0),
        ...(test.status === "failed" && { failure: (test.failureMessages ?? []).join("\n").split("\n")[0] }),
      })),
    );
    return {
      command: `npx vitest ${vitestArgs.join(" ")}`,
      passed: outcomes.filter((o) => o.status === "passed").length,
      failed: outcomes.filter((o) => o.status === "failed").length,
      gates: outcomes,
    };
  },
};
