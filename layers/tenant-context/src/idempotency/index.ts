/**
 * @module
 * Idempotent requests as plumbing: the `Idempotency-Key` header scoped to the caller's tenant,
 * stored answers replayed, a reused key with another body refused (422), Powertools Idempotency
 * with its DynamoDB persistence layer underneath.
 */
export {
  IDEMPOTENCY_HEADER,
  IDEMPOTENT_REPLAYED_HEADER,
  IdempotencyKeyReusedError,
  IdempotentRequestInProgressError,
  type IdempotentRequestsOptions,
  idempotentRequests,
} from "./idempotent-requests.ts";
