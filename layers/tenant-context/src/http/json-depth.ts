/** Refuses JSON bodies nested deeper than any route needs (DynamoDB stops at 32 levels; parsers recurse). */

import type { MiddlewareHandler } from "hono";
import { ValidationError } from "./errors.ts";

/** Deepest nesting of objects and arrays a request body may have: DynamoDB itself stops at 32. */
export const MAX_JSON_DEPTH = 32;

/**
 * The deepest nesting of `{`/`[` in JSON text, ignoring brackets inside strings.
 *
 * @example
 * jsonDepth('{"a":[1,{"b":{}}]}'); // 4
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      i += 1;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    } else if (char === "{" || char === "[") {
      depth += 1;
      if (depth > deepest) deepest = depth;
    } else if (char === "}" || char === "]") {
      depth -= 1;
    }
  }
  return deepest;
}

/**
 * Middleware that answers 400 naming the body when a JSON body nests deeper than `MAX_JSON_DEPTH`, before anything
 * parses it. The text is cached by Hono, so validators read it again without a second read.
 *
 * @example
 * app.use(limitJsonDepth());
 */
export const limitJsonDepth = (): MiddlewareHandler =>
  async function limitJsonDepth(c, next) {
    if (c.req.header("content-type")?.includes("json") && !["GET", "HEAD"].includes(c.req.method)) {
      if (jsonDepth(await c.req.text()) > MAX_JSON_DEPTH) {
        throw new ValidationError([
          { location: "body", field: "(root)", message: `is nested deeper than ${MAX_JSON_DEPTH} levels` },
        ]);
      }
    }
    await next();
  };
