import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hasDuplicateKeys } from "./duplicate-keys.ts";

/** A JSON value whose objects are written member by member, so that a name may repeat. */
type Written = { array: Written[] } | { members: [string, Written][] } | { scalar: unknown };

/** A name as JSON text: plainly, or with every character as a `\uXXXX` escape. */
const nameText = (name: string, escaped: boolean) =>
  escaped
    ? `"${[...name].map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")}"`
    : JSON.stringify(name);

const written = fc.letrec<{ value: Written }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({ scalar: fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)) }),
    fc.record({ array: fc.array(tie("value"), { maxLength: 3 }) }),
    // names from a small alphabet, with quotes and backslashes, so they collide often
    fc.record({
      members: fc.array(fc.tuple(fc.stringMatching(/^[ab"\\é]{0,2}$/), tie("value")), { maxLength: 4 }),
    }),
  ),
})).value;

function text(value: Written, escapes: () => boolean): string {
  if ("scalar" in value) return JSON.stringify(value.scalar);
  if ("array" in value) return `[${value.array.map((item) => text(item, escapes)).join(", ")}]`;
  return `{ ${value.members.map(([name, member]) => `${nameText(name, escapes())} : ${text(member, escapes)}`).join(",")} }`;
}

function repeatsAName(value: Written): boolean {
  if ("scalar" in value) return false;
  if ("array" in value) return value.array.some(repeatsAName);
  const names = value.members.map(([name]) => name);
  return new Set(names).size < names.length || value.members.some(([, member]) => repeatsAName(member));
}

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
    expect(hasDuplicateKeys('{"a\\\\":1,"a":2}')).toBe(false);
  });

  it("agrees with the members as written, for any JSON text", () => {
    fc.assert(
      fc.property(written, fc.infiniteStream(fc.boolean()), (value, escapeChoices) => {
        const json = text(value, () => escapeChoices.next().value as boolean);
        JSON.parse(json); // the scanner expects text that JSON.parse accepts
        expect(hasDuplicateKeys(json)).toBe(repeatsAName(value));
      }),
      { numRuns: 500 },
    );
  });
});
