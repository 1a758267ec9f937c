/** Finds repeated member names in JSON text, which JSON.parse silently resolves to the last one (RFC 8725 §3.9). */

interface OpenContainer {
  /** member names seen so far; undefined for an array */
  names: Set<string> | undefined;
  /** an object waiting for its next member name */
  expectingName: boolean;
}

/**
 * True when some object in the JSON text names a member twice. Expects text that JSON.parse
 * accepts; scans it once.
 *
 * @example
 * hasDuplicateKeys('{"a":1,"a":2}'); // true
 */
export function hasDuplicateKeys(json: string): boolean {
  const open: OpenContainer[] = [];
  for (let i = 0; i < json.length; i++) {
    const char = json[i];
    const top = open.at(-1);
    if (char === '"') {
      let end = i + 1;
      while (json[end] !== '"') end += json[end] === "\\" ? 2 : 1;
      if (top?.names && top.expectingName) {
        const name = JSON.parse(json.slice(i, end + 1)) as string;
        if (top.names.has(name)) return true;
        top.names.add(name);
        top.expectingName = false;
      }
      i = end;
    } else if (char === "{") {
      open.push({ names: new Set(), expectingName: true });
    } else if (char === "[") {
      open.push({ names: undefined, expectingName: false });
    } else if (char === "}" || char === "]") {
      open.pop();
    } else if (char === "," && top?.names) {
      top.expectingName = true;
    }
  }
  return false;
}
