/** Lambda's pace for a streamed response: the first bytes as fast as they come, the rest capped. */

export interface StreamBandwidthLimits {
  /** bytes of each response sent as fast as they come */
  uncappedBytes: number;
  /** the most bytes per second after those */
  bytesPerSecond: number;
}

/**
 * What Lambda documents for response streaming: the first 6 MB uncapped, then at most 2 MB/s
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html). API
 * Gateway's own cap (2 MB/s past 10 MB) is looser, so Lambda's sets the pace.
 */
export const LAMBDA_STREAM_BANDWIDTH: StreamBandwidthLimits = {
  uncappedBytes: 6 * 1024 * 1024,
  bytesPerSecond: 2 * 1024 * 1024,
};

/**
 * Paces one response: `delayMs(bytes, now)` says how long to hold the next chunk so that what has
 * gone past the uncapped part never runs ahead of the cap.
 *
 * @example
 * const pace = streamPace(LAMBDA_STREAM_BANDWIDTH);
 * await sleep(pace.delayMs(chunk.length, Date.now()));
 * res.write(chunk);
 */
export function streamPace(limits: StreamBandwidthLimits) {
  let sent = 0;
  /** when the response went past its uncapped part */
  let cappedFrom: number | undefined;
  return {
    delayMs(bytes: number, now: number): number {
      sent += bytes;
      const over = sent - limits.uncappedBytes;
      if (over <= 0) return 0;
      cappedFrom ??= now;
      const dueAt = cappedFrom + (over / limits.bytesPerSecond) * 1000;
      return Math.max(0, dueAt - now);
    },
  };
}
