/** The gateway's side of one Lambda worker process: start it, run one invocation at a time, enforce the timeout. */
import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { FunctionConfig } from "./function-config.ts";
import type { LambdaError, StreamAckMessage, StreamMetadata, WorkerToParentMessage } from "./worker-protocol.ts";

const workerScript = fileURLToPath(new URL("./lambda-worker.mjs", import.meta.url));

/** One line a function wrote to stdout or stderr. */
export interface FunctionLogLine {
  functionId: string;
  stream: "stdout" | "stderr";
  line: string;
}

export type LogSink = (entry: FunctionLogLine) => void;

/** Prints each line prefixed with the function id, to the gateway's own stdout or stderr. */
export const printFunctionLog: LogSink = ({ functionId, stream, line }) => {
  process[stream].write(`[${functionId}] ${line}\n`);
};

/** Receives a streaming handler's response as it is written. */
export interface ResponseStreamSink {
  onMetadata(metadata: StreamMetadata): void;
  /** resolves once the chunk has reached the client (or been dropped): the worker may then send more */
  onChunk(chunk: Buffer): void | Promise<void>;
  onEnd(): void;
}

/** The gateway acknowledges delivered bytes in batches this large (less than the worker's window, so it never stalls). */
const ACK_BATCH_BYTES = 64 * 1024;

export type InvocationOutcome =
  /** A buffered handler returned `payload` (after a JSON round trip, as on Lambda). */
  | { status: "succeeded"; payload: unknown }
  /** A streaming handler returned and ended its stream; the body went to the sink. */
  | { status: "streamed" }
  /** The handler threw, or the bundle could not be loaded. */
  | { status: "failed"; error: LambdaError }
  | { status: "timed-out"; timeoutSeconds: number }
  /** The process died during the invocation (uncaught exception, process.exit, out of memory...). */
  | { status: "crashed"; exitCode: number | null; signal: string | null };

// Every worker still running, so that none outlives the gateway process.
const runningWorkers = new Set<ChildProcess>();

function killRunningWorkers() {
  for (const child of runningWorkers) child.kill("SIGKILL");
}

function killWorkersThenResumeSignal(signal: NodeJS.Signals) {
  killRunningWorkers();
  // If nobody else handles the signal, let it terminate the process as it would have without us.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

let cleanupInstalled = false;
function installCleanupOnExit() {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on("exit", killRunningWorkers);
  process.once("SIGINT", killWorkersThenResumeSignal);
  process.once("SIGTERM", killWorkersThenResumeSignal);
}

/** One warm "container" of a function: a forked Node process that runs one invocation at a time. */
export class LambdaWorkerProcess {
  readonly #config: FunctionConfig;
  readonly #child: ChildProcess;
  readonly #ready: Promise<LambdaError | undefined>;
  readonly #exited: Promise<void>;
  #retired = false;

  constructor(config: FunctionConfig, log: LogSink) {
    installCleanupOnExit();
    this.#config = config;
    this.#child = fork(workerScript, [config.bundlePath, config.exportName], {
      cwd: config.taskRoot,
      // PATH lets the function start programs, as it can on Lambda; nothing else of the host leaks in.
      env: { PATH: process.env.PATH ?? "", ...config.env },
      execArgv: config.nodeArguments,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "advanced",
      detached: false,
    });
    runningWorkers.add(this.#child);
    this.#child.on("error", (error) =>
      log({ functionId: config.functionId, stream: "stderr", line: `local gateway: worker error: ${error.message}` }),
    );
    this.#exited = new Promise((resolve) =>
      this.#child.once("exit", () => {
        runningWorkers.delete(this.#child);
        resolve();
      }),
    );
    for (const stream of ["stdout", "stderr"] as const) {
      const output = this.#child[stream];
      if (!output) continue;
      createInterface({ input: output, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) =>
        log({ functionId: config.functionId, stream, line }),
      );
    }
    this.#ready = new Promise((resolve) => {
      const onStartup = (message: WorkerToParentMessage) => {
        if (message.type !== "ready" && message.type !== "init-error") return;
        this.#child.off("message", onStartup);
        if (message.type === "ready") return resolve(undefined);
        this.#retired = true; // the worker exits after an init error
        resolve(message.error);
      };
      this.#child.on("message", onStartup);
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** False once the process has died or been condemned (after a timeout or a crash). */
  get usable(): boolean {
    return !this.#retired && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Runs one invocation; never rejects, every failure is an outcome. */
  invoke(event: unknown, stream?: ResponseStreamSink): Promise<InvocationOutcome> {
    const child = this.#child;
    const { timeoutSeconds, invokedFunctionArn } = this.#config;
    const deadlineMs = Date.now() + timeoutSeconds * 1000;
    return new Promise((resolve) => {
      let settled = false;
      let delivered = 0;
      /** Tells the worker that `bytes` more have been delivered, a batch at a time. */
      const acknowledge = (bytes: number) => {
        delivered += bytes;
        if (delivered < ACK_BATCH_BYTES || settled || !child.connected) return;
        child.send({ type: "stream-ack", bytes: delivered } satisfies StreamAckMessage);
        delivered = 0;
      };
      const settle = (outcome: InvocationOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.off("message", onMessage);
        child.off("exit", onExit);
        if (outcome.status === "timed-out" || outcome.status === "crashed") this.#retire();
        resolve(outcome);
      };
      const onExit = (exitCode: number | null, signal: string | null) =>
        settle({ status: "crashed", exitCode, signal });
      const onMessage = (message: WorkerToParentMessage) => {
        switch (message.type) {
          case "result":
            return settle({ status: "succeeded", payload: JSON.parse(message.payloadJson) });
          case "streamed":
            return settle({ status: "streamed" });
          case "error":
            return settle({ status: "failed", error: message.error });
          case "stream-metadata":
            return stream?.onMetadata(message.metadata);
          case "stream-chunk": {
            const chunk = Buffer.from(message.chunk);
            return void Promise.resolve(stream?.onChunk(chunk)).then(() => acknowledge(chunk.length));
          }
          case "stream-end":
            return stream?.onEnd();
        }
      };
      const timer = setTimeout(() => settle({ status: "timed-out", timeoutSeconds }), deadlineMs - Date.now());
      if (!this.usable) return settle({ status: "crashed", exitCode: child.exitCode, signal: child.signalCode });
      child.on("message", onMessage);
      child.once("exit", onExit);
      void this.#ready.then((initError) => {
        if (settled) return;
        if (initError) return settle({ status: "failed", error: initError });
        child.send({
          type: "invoke",
          eventJson: JSON.stringify(event ?? {}),
          awsRequestId: randomUUID(),
          invokedFunctionArn,
          deadlineMs,
        });
      });
    });
  }

  /** Kills the process and resolves once it has exited. */
  kill(): Promise<void> {
    this.#retire();
    return this.#exited;
  }

  #retire() {
    this.#retired = true;
    this.#child.kill("SIGKILL");
  }
}
