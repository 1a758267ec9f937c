/** Where benchmark results live, and what each records about its run: command, machine, Node version, date. */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { repoRoot } from "../../tools/local/template.ts";

export const resultsDir = join(repoRoot, "bench/results");

/** The circumstances of a run: figures from different machines or loads are not comparable. */
export interface RunInfo {
  /** the exact command, with the BENCH_* variables that changed what ran */
  command: string;
  /** ISO 8601, when the benchmark started */
  date: string;
  node: string;
  machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    os: string;
    /** 1-minute load average when the benchmark started: a busy shared machine shows here */
    loadAverage1m: number;
  };
  /** the commit measured, with `+dirty` when the work tree had changes */
  commit: string;
}

export interface BenchResult<T> {
  name: string;
  run: RunInfo;
  durationMs: number;
  data: T;
}

function gitCommit(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain"], { cwd: repoRoot, encoding: "utf8" }).trim() !== "";
    return dirty ? `${head}+dirty` : head;
  } catch {
    return "unknown";
  }
}

/** The command as typed, e.g. `BENCH_EXPORT_SIZES=1000 npm run bench -- streaming`. */
export function benchCommand(args: readonly string[]): string {
  const variables = Object.entries(process.env)
    .filter(([name]) => name.startsWith("BENCH_"))
    .map(([name, value]) => `${name}=${value}`)
    .sort();
  return [...variables, "npm run bench", ...(args.length > 0 ? ["--", ...args] : [])].join(" ");
}

export function runInfo(command: string): RunInfo {
  const cpus = os.cpus();
  return {
    command,
    date: new Date().toISOString(),
    node: process.version,
    machine: {
      cpu: cpus[0]?.model.trim() ?? "unknown",
      cores: cpus.length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      loadAverage1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
    },
    commit: gitCommit(),
  };
}

export async function writeResult<T>(result: BenchResult<T>): Promise<string> {
  await mkdir(resultsDir, { recursive: true });
  const path = join(resultsDir, `${result.name}.json`);
  await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
  return path;
}

export async function readResult<T>(name: string): Promise<BenchResult<T> | undefined> {
  const path = join(resultsDir, `${name}.json`);
  if (!existsSync(path)) return undefined;
  return JSON.parse(await readFile(path, "utf8")) as BenchResult<T>;
}

export async function resultNames(): Promise<string[]> {
  if (!existsSync(resultsDir)) return [];
  return (await readdir(resultsDir)).filter((file) => file.endsWith(".json")).map((file) => file.slice(0, -5));
}
