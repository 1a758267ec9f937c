import { describe, expect, it } from "vitest";
import { jsonDepth } from "./json-depth.ts";

describe("jsonDepth", () => {
  it("counts nested objects and arrays", () => {
    expect(jsonDepth("1")).toBe(0);
    expect(jsonDepth('{"a":[1,{"b":{}}]}')).toBe(4);
    expect(jsonDepth(`${"[".repeat(1000)}${"]".repeat(1000)}`)).toBe(1000);
  });

  it("ignores brackets inside strings, escaped quotes included", () => {
    expect(jsonDepth('{"a":"[[[{{{\\"]]]"}')).toBe(1);
  });
});
