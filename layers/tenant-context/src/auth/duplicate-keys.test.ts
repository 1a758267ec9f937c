import { describe, expect, it } from "vitest";
import { hasDuplicateKeys } from "./duplicate-keys.ts";

describe("hasDuplicateKeys", () => {
  it("finds a member named twice, at any depth", () => {
    expect(hasDuplicateKeys('{"a":1,"a":2}')).toBe(true);
    expect(hasDuplicateKeys('{"x":{"b":[1,{"c":1,"c":2}]}}')).toBe(true);
    expect(hasDuplicateKeys('{"custom:tenantId":"acme","sub":"u","custom:tenantId":"globex"}')).toBe(true);
    expect(hasDuplicateKeys('{"a\\u0062":1,"ab":2}')).toBe(true);
  });

  it("accepts distinct names, equal names in different objects, and names inside strings", () => {
    expect(hasDuplicateKeys('{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}')).toBe(false);
    expect(hasDuplicateKeys('{"a":"\\"a\\":1,","b":"{\\"a\\"}"}')).toBe(false);
    expect(hasDuplicateKeys('["a","a"]')).toBe(false);
  });
});
