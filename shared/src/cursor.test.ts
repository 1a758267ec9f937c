import { ValidationError } from "@tenantkit/tenant-context";
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "./cursor.ts";

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** The 400 a bad cursor gets: naming the `cursor` query field. */
function refusal(cursor: string): unknown {
  try {
    decodeCursor(cursor, ["productId"]);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).errors;
  }
  return "accepted";
}
const REFUSED = [{ location: "query", field: "cursor", message: "is not a valid cursor" }];

describe("cursors", () => {
  it("decode what they encode, up to 1024 bytes of UTF-8 per key value", () => {
    for (const productId of ["0b6c1c55-2f1e-4a8e-9d43-7f3f0e7d2c11", "é".repeat(512), "x".repeat(1024), "😀"]) {
      expect(decodeCursor(encodeCursor({ productId }), ["productId"])).toEqual({ productId });
    }
    expect(decodeCursor(undefined, ["productId"])).toBeUndefined();
  });

  for (const [label, productId] of Object.entries({
    "an empty key value": "",
    "a lone high surrogate": "\ud800",
    "a lone low surrogate": "a\udc00b",
    "1026 bytes of UTF-8 in 513 characters": "é".repeat(513),
    "1026 bytes of UTF-8 in 342 characters": "€".repeat(342),
    "1025 characters": "x".repeat(1025),
  })) {
    it(`refuse ${label} (DynamoDB would refuse it as a start key) with 400 naming the cursor`, () => {
      expect(refusal(b64({ productId }))).toEqual(REFUSED);
    });
  }

  it("refuse keys that are not exactly the expected attributes, all strings", () => {
    for (const value of [{ tenantId: "acme", productId: "x" }, { productId: 42 }, {}, ["x"], "x", null]) {
      expect(refusal(b64(value)), JSON.stringify(value)).toEqual(REFUSED);
    }
    expect(refusal("not base64 !!")).toEqual(REFUSED);
    expect(refusal("")).toEqual(REFUSED);
  });
});
