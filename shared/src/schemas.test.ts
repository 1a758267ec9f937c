import { describe, expect, it } from "vitest";
import { freeText } from "./schemas.ts";

describe("freeText", () => {
  const name = freeText({ error: "is required" }).trim().min(1, { error: "must not be empty" });

  it("accepts well-formed text, surrogate pairs (emoji) included", () => {
    expect(name.parse(" Lamp 💡 ")).toBe("Lamp 💡");
  });

  it("refuses lone UTF-16 surrogates, wherever they are, with one message", () => {
    for (const value of ["Lamp \ud800", "\udc00", "a\udc00\ud800b", "💡".slice(0, 1)]) {
      expect(
        name.safeParse(value).error?.issues.map((issue) => issue.message),
        JSON.stringify(value),
      ).toEqual(["must be well-formed Unicode text (no lone surrogates)"]);
    }
  });

  it("keeps the string's own checks and messages", () => {
    expect(name.safeParse(42).error?.issues[0]?.message).toBe("is required");
    expect(name.safeParse("  ").error?.issues[0]?.message).toBe("must not be empty");
  });
});
