import { describe, expect, it } from "vitest";
import { captureOutput } from "./index.ts";

describe("captureOutput", () => {
  it("captures the streams and the global console, which the test runner would otherwise take, until restored", () => {
    const output = captureOutput();
    try {
      process.stdout.write("to stdout\n");
      process.stderr.write("to stderr\n");
      console.log("logged %s", "LEAKED-TOKEN");
      console.error("Error processing request:", new Error("the table went away"));
    } finally {
      output.restore();
    }
    const text = output.text();
    expect(text).toContain("to stdout");
    expect(text).toContain("to stderr");
    expect(text).toContain("logged LEAKED-TOKEN");
    expect(text).toContain("Error processing request: Error: the table went away");
    console.log("after restore");
    expect(output.text()).not.toContain("after restore");
  });
});
