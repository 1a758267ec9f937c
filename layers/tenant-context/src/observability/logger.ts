/** The Powertools logger every tenant-context component and service shares, one per container. */
import { Logger } from "@aws-lambda-powertools/logger";
import type { Context as LambdaContext } from "aws-lambda";
import { TenantIsolationError } from "../http/errors.ts";

/**
 * The container's logger. The tenant-context middleware appends `tenant_id`, `tier`, `user_id`
 * and `correlation_id` to it for each request; services reach it as `c.var.logger`.
 *
 * @example
 * logger.info("product created", { productId });
 */
export const logger = new Logger();

/**
 * Starts the lines of a request: none of the last request's keys stay, and every line carries the
 * request's correlation id and, when there is one, the Lambda context. The authorizer, the
 * tenant context and the layer's Lambda handlers start each request this way.
 *
 * @example
 * beginRequestLog(correlationId, lambdaContext);
 */
export function beginRequestLog(correlationId: string, lambdaContext?: LambdaContext): void {
  logger.resetKeys();
  logger.appendKeys({ correlation_id: correlationId });
  if (lambdaContext) logger.addContext(lambdaContext);
}

/** What AWS services call a refusal by IAM (STS says `AccessDenied`, the others `AccessDeniedException`). */
const ACCESS_DENIED = new Set(["AccessDeniedException", "AccessDenied"]);

/** A refusal by IAM, also as the cause of another error (Powertools Parameters wraps the SDK's). */
function isAccessDenied(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return ACCESS_DENIED.has(error.name) || (error.cause instanceof Error && ACCESS_DENIED.has(error.cause.name));
}

/** Errors `logFailure` has logged: a failure that surfaces again further out is not logged twice. */
const loggedFailures = new WeakSet<object>();

/** True when `logFailure` has already logged this error. */
export function isLoggedFailure(error: unknown): boolean {
  return typeof error === "object" && error !== null && loggedFailures.has(error);
}

/**
 * Logs why something failed. A tenant isolation violation is a CRITICAL security event with its
 * reason, on whatever path it surfaced (an answer, a streamed body, an event). So is a refusal by
 * IAM: the tenant data role refuses what the in-process checks should have refused first, so one
 * means a check was missed (or the policy is wrong). Anything else is an error with `message`.
 *
 * @example
 * logFailure(logger, "event not processed", error, { message_id: record.messageId });
 */
export function logFailure(
  log: Logger,
  message: string,
  error: unknown,
  attributes: Record<string, unknown> = {},
): void {
  if (typeof error === "object" && error !== null) loggedFailures.add(error);
  if (error instanceof TenantIsolationError) {
    log.critical("tenant isolation violation", {
      ...attributes,
      security_event: "tenant_isolation",
      violation: error.violation,
    });
  } else if (isAccessDenied(error)) {
    log.critical(message, { ...attributes, security_event: "access_denied", error: error as Error });
  } else {
    log.error(message, { ...attributes, error: error as Error });
  }
}
