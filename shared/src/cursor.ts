/** Opaque pagination cursors: the last key of a page (never the tenant id), base64url-encoded JSON. */
import { type Item, ValidationError } from "@tenantkit/tenant-context";

/** Encodes a page's `nextKey` (tenant key already removed by the scoped table) as a cursor. */
export function encodeCursor(nextKey: Item | undefined): string | undefined {
  return nextKey ? Buffer.from(JSON.stringify(nextKey)).toString("base64url") : undefined;
}

/** DynamoDB's limit on a sort key value: 1024 bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;

/** A string DynamoDB accepts as a key value: not empty, well-formed UTF-16, at most 1024 bytes as UTF-8. */
const isKeyString = (value: unknown): value is string =>
  typeof value === "string" &&
  value.length > 0 &&
  value.isWellFormed() &&
  Buffer.byteLength(value, "utf8") <= MAX_KEY_BYTES;

/**
 * Decodes a cursor back into a start key with exactly the expected attributes, all strings that
 * DynamoDB accepts as key values. Anything else, including a key that names a tenant, is a 400
 * naming the `cursor` parameter.
 */
export function decodeCursor(cursor: string | undefined, keyAttributes: readonly string[]): Item | undefined {
  if (cursor === undefined) return undefined;
  const invalid = () => new ValidationError([{ location: "query", field: "cursor", message: "is not a valid cursor" }]);
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (typeof key !== "object" || key === null || Array.isArray(key)) throw invalid();
  const entries = Object.entries(key);
  const wellFormed =
    entries.length === keyAttributes.length &&
    entries.every(([name, value]) => keyAttributes.includes(name) && isKeyString(value));
  if (!wellFormed) throw invalid();
  return key as Item;
}
