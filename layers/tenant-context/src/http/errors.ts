/** The one error model: named error classes that map to RFC 9457 `application/problem+json`. */

/** The media type of every error answer (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** A field-level complaint inside a 400 problem. */
export interface FieldError {
  /** where the field was: body, path, query or header */
  location: "body" | "path" | "query" | "header";
  /** dotted path of the field, e.g. `price` or `items.0.quantity` */
  field: string;
  message: string;
}

/** RFC 9457 problem details as the API sends them. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/**
 * Base class of every error the API answers deliberately. Throw a subclass anywhere in a
 * request; `problemResponse` turns it into the HTTP answer.
 *
 * @example
 * throw new NotFoundError("product", id);
 */
export class ProblemError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly headers: Record<string, string>;

  constructor(status: number, title: string, detail?: string, headers: Record<string, string> = {}) {
    super(detail ?? title);
    this.name = new.target.name;
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.headers = headers;
  }

  toProblem(): ProblemDetails {
    return { type: "about:blank", title: this.title, status: this.status, ...(this.detail && { detail: this.detail }) };
  }
}

/**
 * A problem that names the fields that caused it, as `errors` (a 400's, or a 412's on a header, say).
 *
 * @example
 * throw new FieldProblemError(415, "Unsupported Media Type", [{ location: "header", field: "Content-Type", message: "must be application/json" }]);
 */
export class FieldProblemError extends ProblemError {
  readonly errors: FieldError[];

  constructor(status: number, title: string, errors: FieldError[]) {
    const first = errors[0];
    const detail = first
      ? `${first.location} field '${first.field}': ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ""}`
      : "The request is invalid.";
    super(status, title, detail);
    this.errors = errors;
  }

  override toProblem(): ProblemDetails {
    return { ...super.toProblem(), errors: this.errors };
  }
}

/**
 * 400: the request is malformed; names every offending field.
 *
 * @example
 * throw new ValidationError([{ location: "query", field: "cursor", message: "is not a valid cursor" }]);
 */
export class ValidationError extends FieldProblemError {
  constructor(errors: FieldError[]) {
    super(400, "Bad Request", errors);
  }
}

/**
 * 401: no credentials, or credentials that do not verify. The reason is logged, never sent.
 *
 * @example
 * if (!match) throw new UnauthorizedError("no bearer token");
 */
export class UnauthorizedError extends ProblemError {
  readonly reason: string;

  constructor(reason: string) {
    super(401, "Unauthorized", "A valid bearer token is required.", { "WWW-Authenticate": "Bearer" });
    this.reason = reason;
  }
}

/**
 * 403: the caller is known but may not do this.
 *
 * @example
 * throw new ForbiddenError(`The ${tier} tier does not include ${feature}.`);
 */
export class ForbiddenError extends ProblemError {
  constructor(detail = "You may not perform this action.") {
    super(403, "Forbidden", detail);
  }
}

/**
 * 404: the resource does not exist for this tenant (another tenant's resource is also 404).
 *
 * @example
 * if (!order) throw new NotFoundError("order", id); // "No order with id '<id>'."
 */
export class NotFoundError extends ProblemError {
  constructor(resource: string, id?: string) {
    super(404, "Not Found", id ? `No ${resource} with id '${id}'.` : `No such ${resource}.`);
  }
}

/**
 * 409: the request conflicts with the current state.
 *
 * @example
 * throw new ConflictError(`The email '${input.email}' belongs to an existing user.`);
 */
export class ConflictError extends ProblemError {
  constructor(detail: string) {
    super(409, "Conflict", detail);
  }
}

/**
 * 413: the request body is larger than the API accepts.
 *
 * @example
 * app.use(bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => { throw new PayloadTooLargeError(MAX_BODY_BYTES); } }));
 */
export class PayloadTooLargeError extends ProblemError {
  constructor(limitBytes: number) {
    super(413, "Payload Too Large", `The request body must not exceed ${limitBytes} bytes.`);
  }
}

/**
 * 503: a dependency is unavailable or throttling after retries; the client may retry.
 *
 * @example
 * throw new ServiceUnavailableError("This tenant's data is moving; retry shortly.", 5); // Retry-After: 5
 */
export class ServiceUnavailableError extends ProblemError {
  constructor(detail = "A dependency is temporarily unavailable; retry later.", retryAfterSeconds = 1) {
    super(503, "Service Unavailable", detail, { "Retry-After": String(retryAfterSeconds) });
  }
}

/**
 * 500 that reveals nothing: code tried to touch a key outside the caller's tenant. Always a
 * defect, logged as a security event by the error mapper.
 *
 * @example
 * if (item.tenantId !== tenantId) throw new TenantIsolationError(`get on ${tableName} returned another tenant's item`);
 */
export class TenantIsolationError extends ProblemError {
  readonly violation: string;

  constructor(violation: string) {
    super(500, "Internal Server Error");
    this.violation = violation;
  }
}

/** SDK error names that mean "try again later" rather than "this request is wrong". */
const RETRYABLE_AWS_ERRORS = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  // STS (AssumeRole for a tenant's data session) and other query-protocol services
  "Throttling",
  "RequestLimitExceeded",
  // a write that met a transaction in flight on the same item
  "TransactionConflictException",
  "InternalServerError",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "TimeoutError",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
]);

/**
 * The error and those it wraps (`cause`), outermost first, at most four: Powertools Parameters
 * wraps the SDK's error in its own `GetParameterError`.
 *
 * @example
 * const missing = errorChain(error).some((e) => e.name === "ResourceNotFoundException");
 */
export function errorChain(error: unknown): Error[] {
  const chain: Error[] = [];
  for (let link = error; link instanceof Error && chain.length < 4; link = link.cause) chain.push(link);
  return chain;
}

function isDependencyOutage(error: unknown): boolean {
  return errorChain(error).some(isOutageItself);
}

function isOutageItself(error: Error): boolean {
  const code = (error as { code?: string }).code;
  const fault = (error as { $fault?: string }).$fault;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return (
    RETRYABLE_AWS_ERRORS.has(error.name) ||
    (code !== undefined && RETRYABLE_AWS_ERRORS.has(code)) ||
    (fault === "server" && (status === undefined || status >= 500))
  );
}

/** Maps any thrown value to the `ProblemError` that answers it (unknown errors become a bare 500). */
export function toProblemError(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  if (isDependencyOutage(error)) return new ServiceUnavailableError();
  return new ProblemError(500, "Internal Server Error");
}

/**
 * The HTTP response for a problem, with `application/problem+json`.
 *
 * @example
 * return problemResponse(new NotFoundError("route"), { [CORRELATION_HEADER]: c.var.correlationId });
 */
export function problemResponse(problem: ProblemError, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem.toProblem()), {
    status: problem.status,
    headers: { "content-type": PROBLEM_CONTENT_TYPE, ...problem.headers, ...headers },
  });
}

/**
 * 429: the tenant's quota or rate is used up; `Retry-After` says when to come back.
 *
 * @example
 * throw new TooManyRequestsError("This tenant has used its daily request quota.", error.retryAfterSeconds);
 */
export class TooManyRequestsError extends ProblemError {
  constructor(detail: string, retryAfterSeconds: number) {
    super(429, "Too Many Requests", detail, { "Retry-After": String(retryAfterSeconds) });
  }
}
