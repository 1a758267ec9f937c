/** One HTTP GET timed from the client's side: time to first body byte, total time, bytes and lines. */
import { request } from "node:http";

export interface TimedResponse {
  status: number;
  /** request sent -> first body byte, ms */
  ttfbMs: number;
  /** request sent -> last byte, ms */
  totalMs: number;
  bytes: number;
  /** newline count: NDJSON records */
  lines: number;
}

export function timedGet(url: string, headers: Record<string, string>): Promise<TimedResponse> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstByte: number | undefined;
    let bytes = 0;
    let lines = 0;
    const req = request(url, { headers, agent: false }, (res) => {
      res.on("data", (chunk: Buffer) => {
        firstByte ??= performance.now();
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      });
      res.once("end", () => {
        const ended = performance.now();
        resolve({
          status: res.statusCode ?? 0,
          ttfbMs: (firstByte ?? ended) - started,
          totalMs: ended - started,
          bytes,
          lines,
        });
      });
      res.once("error", reject);
    });
    req.once("error", reject);
    req.end();
  });
}
