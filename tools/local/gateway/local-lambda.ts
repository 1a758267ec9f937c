/** Invokes the template's functions locally by logical id, each in its own pool of worker processes. */
import type { Template } from "../template.ts";
import { type FunctionConfigOptions, functionConfig } from "./function-config.ts";
import { FunctionPool, type FunctionPoolOptions } from "./function-pool.ts";
import type { InvocationOutcome, ResponseStreamSink } from "./lambda-worker-process.ts";

export interface LocalLambdaOptions extends FunctionConfigOptions, FunctionPoolOptions {
  template: Template;
}

export interface LocalLambda {
  invoke(functionId: string, event: unknown, stream?: ResponseStreamSink): Promise<InvocationOutcome>;
  /** The pool of a function (created on first use). */
  pool(functionId: string): FunctionPool;
  /** After a rebuild: the next invocation of each function (all when none are named) starts a fresh worker. */
  reload(functionIds?: string[]): void;
  /** Kills every worker of every function. */
  close(): Promise<void>;
}

/** Pools are created on first use, so a function that is never called need not even be built. */
export function createLocalLambda(options: LocalLambdaOptions): LocalLambda {
  const pools = new Map<string, FunctionPool>();
  const pool = (functionId: string): FunctionPool => {
    let existing = pools.get(functionId);
    if (!existing) {
      existing = new FunctionPool(functionConfig(options.template, functionId, options), options);
      pools.set(functionId, existing);
    }
    return existing;
  };
  return {
    pool,
    invoke: (functionId, event, stream) => pool(functionId).invoke(event, stream),
    reload: (functionIds) => {
      for (const [functionId, functionPool] of pools) {
        if (!functionIds || functionIds.includes(functionId)) functionPool.reload();
      }
    },
    close: async () => {
      await Promise.all([...pools.values()].map((functionPool) => functionPool.close()));
      pools.clear();
    },
  };
}
