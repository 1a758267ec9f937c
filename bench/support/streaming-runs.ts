/** The streaming benchmark's runs, apart from the benchmark itself so that the report can read them cheaply. */
import type { Summary } from "./stats.ts";

export type Delivery = "streamed" | "buffered";

export interface StreamingRun {
  size: number;
  delivery: Delivery;
  /** the first request of a fresh worker (its cold start included), ms */
  cold: { ttfbMs: number; totalMs: number };
  /** the following requests, ms */
  ttfbMs: Summary;
  totalMs: Summary;
  bytes: number;
  /** VmHWM of the function's worker after all requests of this size, MiB */
  workerPeakRssMiB: number;
  workerRssMiB: number;
  queriesPerRequest: number;
}

/** A buffered export the function could not answer (out of heap, or over the payload limit, as on Lambda): nothing to time. */
export interface FailedStreamingRun {
  size: number;
  delivery: "buffered";
  failure: string;
}

/** The run of one size and delivery, if it was made and answered. */
export function measuredRun(
  runs: (StreamingRun | FailedStreamingRun)[],
  size: number,
  delivery: Delivery,
): StreamingRun | undefined {
  const run = runs.find((r) => r.size === size && r.delivery === delivery);
  return run && !("failure" in run) ? run : undefined;
}
