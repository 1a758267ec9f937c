import { describe, expect, it } from "vitest";
import { LAMBDA_STREAM_BANDWIDTH, streamPace } from "./stream-bandwidth.ts";

const MB = 1024 * 1024;

describe("streamPace", () => {
  it("holds nothing within the uncapped part", () => {
    const pace = streamPace(LAMBDA_STREAM_BANDWIDTH);
    for (let i = 0; i < 6; i++) expect(pace.delayMs(MB, 1000)).toBe(0);
  });

  it("past it, holds each chunk until the cap allows it, counted from when the cap began", () => {
    const pace = streamPace(LAMBDA_STREAM_BANDWIDTH);
    expect(pace.delayMs(6 * MB, 0)).toBe(0);
    // the first capped megabyte is due half a second after the cap began
    expect(pace.delayMs(MB, 100)).toBe(500);
    // the second one half a second after that (1100); asked at 800, it is held for what is left
    expect(pace.delayMs(MB, 800)).toBe(300);
    // a producer slower than the cap is never held
    expect(pace.delayMs(MB, 5000)).toBe(0);
  });

  it("takes (32 − 6) MB ÷ 2 MB/s = 13 s for a 32 MB response sent at once", () => {
    const pace = streamPace(LAMBDA_STREAM_BANDWIDTH);
    let last = 0;
    for (let i = 0; i < 32; i++) last = pace.delayMs(MB, 0);
    expect(last).toBe(13_000);
  });
});
