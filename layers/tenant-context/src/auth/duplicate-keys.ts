/** Finds repeated member names in JSON text, which JSON.parse silently resolves to the last one (RFC 8725 §3.9). */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

interface OpenContainer {
  /** member names seen so far; undefined for an array */
  names: Set<string> | undefined;
  /** an object waiting for its next member name */
  expectingName: boolean;
}

/** The index of the quote that ends the string whose opening quote is at `start`. */
function closingQuote(json: string, start: number): number {
  let end = json.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (json.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = json.indexOf('"', end + 1);
  }
}

/**
 * True when some object in the JSON text names a member twice. Expects text that JSON.parse
 * accepts; scans it once, skipping over strings whole.
 *
 * @example
 * hasDuplicateKeys('{"a":1,"a":2}'); // true
 */
export function hasDuplicateKeys(json: string): boolean {
  const open: OpenContainer[] = [];
  let top: OpenContainer | undefined;
  for (let i = 0; i < json.length; i++) {
    const char = json.charCodeAt(i);
    if (char === QUOTE) {
      const end = closingQuote(json, i);
      if (top?.names && top.expectingName) {
        const raw = json.slice(i + 1, end);
        // Only a name with escapes needs decoding to compare: "a\u0062" and "ab" are the same name.
        const name = raw.includes("\\") ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (top.names.has(name)) return true;
        top.names.add(name);
        top.expectingName = false;
      }
      i = end;
    } else if (char === OPEN_OBJECT || char === OPEN_ARRAY) {
      top = { names: char === OPEN_OBJECT ? new Set() : undefined, expectingName: char === OPEN_OBJECT };
      open.push(top);
    } else if (char === CLOSE_OBJECT || char === CLOSE_ARRAY) {
      open.pop();
      top = open.at(-1);
    } else if (char === COMMA && top?.names) {
      top.expectingName = true;
    }
  }
  return false;
}
