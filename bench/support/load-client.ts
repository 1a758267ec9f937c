/**
 * An HTTP load generator in its own process (so it does not share an event loop with the server it
 * measures): autocannon for the load, every response's latency kept at microsecond resolution
 * (autocannon's own histogram counts whole milliseconds, too coarse for sub-millisecond differences).
 * Run with fork(); receives the options as one message and answers with a LoadResult.
 */
import autocannon from "autocannon";

export interface LoadOptions {
  url: string;
  headers: Record<string, string>;
  connections: number;
  durationSeconds: number;
}

export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  non2xx: number;
  errors: number;
  /** every 2xx response's latency, ms */
  latenciesMs: number[];
}

function run(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latenciesMs: number[] = [];
    const instance = autocannon(
      {
        url: options.url,
        headers: options.headers,
        connections: options.connections,
        duration: options.durationSeconds,
      },
      (error, result) => {
        if (error) return reject(error);
        resolve({
          requests: result.requests.total,
          requestsPerSecond: result.requests.average,
          non2xx: result.non2xx,
          errors: result.errors,
          latenciesMs,
        });
      },
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latenciesMs.push(responseTime);
    });
  });
}

process.once("message", (options: LoadOptions) => {
  run(options).then(
    (result) => process.send?.(result, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
