/** The warm workers of one function: one invocation per worker at a time, more workers up to a limit, then a queue. */
import type { FunctionConfig } from "./function-config.ts";
import {
  type InvocationOutcome,
  LambdaWorkerProcess,
  type LogSink,
  printFunctionLog,
  type ResponseStreamSink,
} from "./lambda-worker-process.ts";

export interface FunctionPoolOptions {
  /** Most workers running at once, like reserved concurrency. Default 4. */
  maxConcurrency?: number;
  log?: LogSink;
}

export class FunctionPool {
  readonly #config: FunctionConfig;
  readonly #maxConcurrency: number;
  readonly #log: LogSink;
  readonly #workers = new Set<LambdaWorkerProcess>();
  readonly #idle: LambdaWorkerProcess[] = [];
  readonly #waiting: PromiseWithResolvers<LambdaWorkerProcess>[] = [];
  /** workers started before the last `reload()`: retired when their invocation ends */
  readonly #outdated = new WeakSet<LambdaWorkerProcess>();
  #closed = false;

  constructor(config: FunctionConfig, options: FunctionPoolOptions = {}) {
    this.#config = config;
    this.#maxConcurrency = options.maxConcurrency ?? 4;
    this.#log = options.log ?? printFunctionLog;
  }

  get functionId(): string {
    return this.#config.functionId;
  }

  /** Process ids of the workers alive now, busy or idle. */
  get workerPids(): number[] {
    return [...this.#workers].flatMap((worker) => (worker.usable && worker.pid !== undefined ? [worker.pid] : []));
  }

  /** Runs one invocation on a warm worker if one is idle, else on a new one, else after the next to finish. */
  async invoke(event: unknown, stream?: ResponseStreamSink): Promise<InvocationOutcome> {
    const worker = await this.#acquire();
    try {
      return await worker.invoke(event, stream);
    } finally {
      this.#release(worker);
    }
  }

  /**
   * After a rebuild: idle workers are killed now, busy ones when their invocation ends, so the
   * next invocation starts a fresh worker that loads the new bundle (a cold start, as after a deploy).
   */
  reload(): void {
    for (const worker of this.#idle.splice(0)) {
      this.#workers.delete(worker);
      void worker.kill();
    }
    for (const worker of this.#workers) this.#outdated.add(worker);
  }

  /** Kills every worker and waits for them to exit. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#idle.length = 0;
    for (const waiting of this.#waiting.splice(0)) waiting.reject(this.#closedError());
    await Promise.all([...this.#workers].map((worker) => worker.kill()));
    this.#workers.clear();
  }

  #acquire(): Promise<LambdaWorkerProcess> {
    if (this.#closed) return Promise.reject(this.#closedError());
    let worker = this.#idle.pop();
    while (worker && !worker.usable) {
      this.#workers.delete(worker);
      worker = this.#idle.pop();
    }
    if (worker) return Promise.resolve(worker);
    if (this.#workers.size < this.#maxConcurrency) return Promise.resolve(this.#startWorker());
    const waiting = Promise.withResolvers<LambdaWorkerProcess>();
    this.#waiting.push(waiting);
    return waiting.promise;
  }

  #release(worker: LambdaWorkerProcess) {
    if (this.#closed) return;
    if (!worker.usable || this.#outdated.has(worker)) {
      // A timed-out, crashed or outdated worker is gone for good; a waiting invocation gets a fresh one.
      this.#workers.delete(worker);
      void worker.kill();
      this.#waiting.shift()?.resolve(this.#startWorker());
      return;
    }
    const next = this.#waiting.shift();
    if (next) next.resolve(worker);
    else this.#idle.push(worker);
  }

  #closedError(): Error {
    return new Error(`${this.functionId}: the function pool is closed`);
  }

  #startWorker(): LambdaWorkerProcess {
    const worker = new LambdaWorkerProcess(this.#config, this.#log);
    this.#workers.add(worker);
    return worker;
  }
}
