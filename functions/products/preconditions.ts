/** HTTP conditional requests on products (RFC 9110 section 13): strong ETags from the version, `If-Match` on replace. */
import { type FieldError, FieldProblemError, ValidationError } from "@tenantkit/tenant-context";

export const IF_MATCH_HEADER = "If-Match";

/** The strong entity tag of a product version: version 3 is `"3"`. */
export const etagOf = (version: number): string => `"${version}"`;

/** What an `If-Match` asks for: any current product (`*`), or one of these versions. */
export type IfMatch = "*" | number[];

/** Whether a product at `version` satisfies the client's `If-Match` (strong comparison). */
export const matches = (ifMatch: IfMatch, version: number): boolean => ifMatch === "*" || ifMatch.includes(version);

const ENTITY_TAG = String.raw`(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"`;
const ENTITY_TAG_LIST = new RegExp(String.raw`^${ENTITY_TAG}(?:[ \t]*,[ \t]*${ENTITY_TAG})*$`);

const ifMatchError = (message: string): FieldError[] => [{ location: "header", field: IF_MATCH_HEADER, message }];

/** A 412 or 428 problem that names the `If-Match` header, as a 400 names its fields. */
class IfMatchProblem extends FieldProblemError {
  constructor(status: 412 | 428, title: string, message: string) {
    super(status, title, ifMatchError(message));
  }
}

/** 428: a replace without `If-Match` could overwrite changes the client never saw (RFC 6585). */
export class PreconditionRequiredError extends IfMatchProblem {
  constructor() {
    super(428, "Precondition Required", "is required: send the ETag of the product as you read it");
  }
}

/** 412: the product is no longer at the version the client read; nothing was written. */
export class PreconditionFailedError extends IfMatchProblem {
  constructor(id: string) {
    super(
      412,
      "Precondition Failed",
      `product '${id}' has changed since it was read (an order may have taken stock); read it again and reapply the change`,
    );
  }
}

/**
 * Parses an `If-Match` header: missing is a 428, malformed a 400 naming it. Weak tags and tags
 * that are no version of ours are kept out: the strong comparison `If-Match` uses matches neither.
 *
 * @example
 * parseIfMatch('"3"'); // [3]
 * parseIfMatch("*"); // "*"
 */
export function parseIfMatch(value: string | undefined): IfMatch {
  if (value === undefined) throw new PreconditionRequiredError();
  const field = value.trim();
  if (field === "*") return "*";
  if (!ENTITY_TAG_LIST.test(field)) {
    throw new ValidationError(ifMatchError('must be "*" or entity tags such as "3" (the ETag of the product)'));
  }
  return [...field.matchAll(/(W\/)?"([^"]*)"/g)]
    .filter(([, weak, tag]) => !weak && /^[1-9]\d{0,14}$/.test(tag as string))
    .map(([, , tag]) => Number(tag));
}
