/** Starts and stops the local moto server (AWS services for the Docker-free local stack). */
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { localAccountId } from "./aws-env.ts";
import { repoRoot } from "./template.ts";

export interface MotoOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Receives moto's output line by line; it also goes to `.tenantkit/moto-<port>.log`, kept only if start-up fails. */
  log?: (line: string) => void;
  /**
   * Lambda's Invoke API for the functions (`startLambdaEndpoint`): with it, moto runs a user pool's
   * pre-token-generation (V2) trigger when it issues tokens, as Cognito does; without it, it runs none.
   */
  lambdaEndpoint?: string;
}

export interface MotoServer {
  /** e.g. `http://127.0.0.1:5123`; give it to `localAwsEnv()`. */
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

const motoServerPath = `${repoRoot}.venv/bin/moto_server`;
/** moto's server with DynamoDB requests serialised, so transactions and conditions hold under concurrency. */
const motoServerScript = `${repoRoot}tools/local/moto_server.py`;
const venvPython = `${repoRoot}.venv/bin/python`;
const setupScriptPath = `${repoRoot}tools/local/setup-python.sh`;
const logDirectory = `${repoRoot}.tenantkit`;
const startTimeoutMs = 30_000;
const stopTimeoutMs = 5_000;

/**
 * The moto server's own environment. The account is pinned so that ARNs never depend on the
 * caller's access key; HASH ids make the user pool and client ids the same on every run with the
 * same template, so ids written down during a dev session survive a restart of moto.
 */
const motoEnvironment = {
  MOTO_ACCOUNT_ID: localAccountId,
  MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY: "HASH",
  MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY: "HASH",
};

/**
 * Starts `moto_server` on `host:port`, installing the Python virtualenv first if it is missing,
 * and resolves once the server answers. The server is killed by `stop()` or when this process exits.
 *
 * @example
 * const moto = await startMoto();
 * Object.assign(process.env, localAwsEnv(moto.endpoint));
 * await moto.stop();
 */
export async function startMoto(options: MotoOptions = {}): Promise<MotoServer> {
  const host = options.host ?? "127.0.0.1";
  // Checking an explicit port first matters: a server already answering there would pass for ours.
  const port = await reservePort(host, options.port ?? 0);
  const endpoint = `http://${host}:${port}`;
  await ensurePythonTools(options.log);

  mkdirSync(logDirectory, { recursive: true });
  const logPath = `${logDirectory}/moto-${port}.log`;
  const logFile = createWriteStream(logPath);
  const recentLines: string[] = [];
  const onLine = (line: string) => {
    if (!logFile.writableEnded) logFile.write(`${line}\n`);
    recentLines.push(line);
    if (recentLines.length > 20) recentLines.shift();
    options.log?.(line);
  };

  const child = spawn(venvPython, [motoServerScript, "-H", host, "-p", String(port)], {
    env: {
      ...process.env,
      ...motoEnvironment,
      ...(options.lambdaEndpoint && { TENANTKIT_LAMBDA_ENDPOINT: options.lambdaEndpoint }),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  forwardLines(child.stdout, onLine);
  forwardLines(child.stderr, onLine);
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", (error) => {
      onLine(`could not run ${motoServerScript}: ${error.message}`);
      resolve();
    });
  });
  const removeLog = () => rmSync(logPath, { force: true });
  const removeExitHooks = onParentExit(() => {
    child.kill("SIGTERM");
    removeLog();
  });

  const kill = async () => {
    removeExitHooks();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), stopTimeoutMs);
      await exited;
      clearTimeout(timer);
    }
    await new Promise((resolve) => logFile.end(resolve));
  };

  try {
    await waitUntilAnswering(endpoint, exited);
  } catch (error) {
    await kill();
    const tail = recentLines.map((line) => `  ${line}`).join("\n");
    throw new Error(`${(error as Error).message}; see ${logPath}. Last lines:\n${tail}`);
  }
  return {
    endpoint,
    port,
    // The log is kept only when start-up fails; a session's lines go to `options.log`.
    stop: async () => {
      await kill();
      removeLog();
    },
  };
}

/** Deletes every resource in moto (all services, accounts and regions). */
export async function resetMoto(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
  if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status} ${await response.text()}`);
}

/** Asks the OS for a free port; there is a short race until moto binds it, which is fine locally. */
export function findFreePort(host = "127.0.0.1"): Promise<number> {
  return reservePort(host, 0);
}

/** Binds and releases `port` (0: any free port) to learn that it is free, failing clearly if it is not. */
function reservePort(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => {
      const inUse = error.code === "EADDRINUSE";
      reject(inUse ? new Error(`cannot start moto: ${host}:${port} is already in use`) : error);
    });
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

async function ensurePythonTools(log: ((line: string) => void) | undefined): Promise<void> {
  if (existsSync(motoServerPath)) return;
  await setUpPythonTools(log);
}

/**
 * Runs `tools/local/setup-python.sh`: creates `.venv` with the pinned moto and SAM CLI, or updates
 * it when `python-requirements.txt` changed; does nothing (in milliseconds) when it is current.
 *
 * @example
 * await setUpPythonTools((line) => console.log(line));
 */
export async function setUpPythonTools(log: ((line: string) => void) | undefined): Promise<void> {
  const setup = spawn("bash", [setupScriptPath], { stdio: ["ignore", "pipe", "pipe"] });
  const onLine = log ?? ((line: string) => process.stderr.write(`${line}\n`));
  forwardLines(setup.stdout, onLine);
  forwardLines(setup.stderr, onLine);
  const code = await new Promise<number | null>((resolve, reject) => {
    setup.once("error", reject);
    setup.once("exit", resolve);
  });
  if (code !== 0) throw new Error(`${setupScriptPath} failed with exit code ${code}`);
}

async function waitUntilAnswering(endpoint: string, exited: Promise<void>): Promise<void> {
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
    if (hasExited) throw new Error("moto_server exited during start-up");
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${startTimeoutMs / 1000} s`);
}

function forwardLines(stream: Readable, onLine: (line: string) => void): void {
  createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on("line", onLine);
}

/**
 * Runs `cleanUp` (synchronous) when this process exits or is interrupted. A signal listener
 * replaces Node's default of exiting, so when no listener is left after ours we re-raise the
 * signal and Node exits as it would have. Returns a function that removes the hooks.
 */
function onParentExit(cleanUp: () => void): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    remove();
    cleanUp();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const remove = () => {
    process.off("exit", cleanUp);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
  process.on("exit", cleanUp);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return remove;
}
