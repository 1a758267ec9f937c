/** Idempotent POSTs: the `Idempotency-Key` header, scoped to the caller's tenant, kept by Powertools Idempotency in DynamoDB. */

import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyPersistenceLayerError,
  IdempotencyValidationError,
  makeIdempotent,
} from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import type { BasePersistenceLayer } from "@aws-lambda-powertools/idempotency/persistence";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Context, MiddlewareHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { LRUCache } from "lru-cache";
import { requireEnv } from "../config.ts";
import { environmentTenantCredentials } from "../data/tenant-credentials.ts";
import { ProblemError, ValidationError } from "../http/errors.ts";
import { jsonDepth, MAX_JSON_DEPTH } from "../http/json-depth.ts";
import type { TenantEnv } from "../http/tenant-context.ts";
import { logger } from "../observability/logger.ts";

/** The request header that carries the client's key (the IETF httpapi draft's name). */
export const IDEMPOTENCY_HEADER = "Idempotency-Key";

/** Set on a response that repeats the stored answer of an earlier request with the same key. */
export const IDEMPOTENT_REPLAYED_HEADER = "Idempotent-Replayed";

/** 1 to 255 visible ASCII characters, e.g. a UUID. */
const KEY_PATTERN = /^[\x21-\x7E]{1,255}$/;

/** Response headers worth repeating; the correlation id is the new request's own. */
const STORED_HEADERS = ["content-type", "location"];

/**
 * 422: the key was used before with a different request body.
 *
 * @example
 * if (error instanceof IdempotencyValidationError) throw new IdempotencyKeyReusedError();
 */
export class IdempotencyKeyReusedError extends ProblemError {
  constructor() {
    super(
      422,
      "Unprocessable Content",
      `This ${IDEMPOTENCY_HEADER} was already used with a different request body; use a new key for a new request.`,
    );
  }
}

/**
 * 409: a request with the same key is still running. Retrying shortly gets its answer.
 *
 * @example
 * if (error instanceof IdempotencyAlreadyInProgressError) throw new IdempotentRequestInProgressError();
 */
export class IdempotentRequestInProgressError extends ProblemError {
  constructor() {
    super(409, "Conflict", `A request with this ${IDEMPOTENCY_HEADER} is still being processed; retry shortly.`, {
      "Retry-After": "1",
    });
  }
}

export interface IdempotentRequestsOptions {
  /**
   * the idempotency table (partition key `tenantId`, sort key `id`, TTL `expiration`); default: the
   * `IDEMPOTENCY_TABLE` environment variable
   */
  tableName?: string;
  /** for tests: any Powertools persistence layer, for every tenant */
  persistenceStore?: BasePersistenceLayer;
  /** for tests: the DynamoDB client of every tenant's records (by default each tenant's own, with its STS session) */
  client?: DynamoDBClient;
  /** how long a key is remembered (default 24 h) */
  expiresAfterSeconds?: number;
}

/** What is stored for a key: the successful answer, replayed as it was. */
interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** set by the response hook when the answer comes from the store */
  replayed?: boolean;
}

/** The answer was not a success: nothing is stored and a retry with the key runs again. */
class AnswerNotStored extends Error {}

/** The body as JSON when it is JSON (so that key order and spacing do not matter), else as text. */
async function bodyOf(c: Context<TenantEnv>): Promise<unknown> {
  const text = await c.req.text();
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw new ValidationError([
      { location: "body", field: "(root)", message: `is nested more than ${MAX_JSON_DEPTH} levels deep` },
    ]);
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function storedHeaders(headers: Headers): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const value = headers.get(name);
    if (value !== null) kept[name] = value;
  }
  return kept;
}

/**
 * Makes a route idempotent with the `Idempotency-Key` header (required; 400 naming it otherwise).
 * The key is scoped to the caller's tenant and the route, so two tenants that pick the same key
 * never meet. The first request runs; a later one with the same key and body gets the stored
 * answer (header `Idempotent-Replayed: true`) and does not run; the same key with another body
 * is 422; one arriving while the first still runs is 409 with `Retry-After`. Only 2xx answers
 * are stored: after a 4xx or 5xx the key can be used again. When the route has answered 2xx but
 * the answer cannot be stored, the route's answer stands (logged as a warning): its work is done,
 * and a retry after the record's in-progress window runs the route again, so a route that must not
 * act twice for one key guards that itself too (the orders service marks the key with the order).
 * Use after `tenantContext()`.
 *
 * @example
 * app.post("/orders", idempotentRequests({ tableName: requireEnv("IDEMPOTENCY_TABLE") }), placeOrderHandler);
 */
export const idempotentRequests = (options: IdempotentRequestsOptions = {}): MiddlewareHandler<TenantEnv> => {
  const tableName = options.persistenceStore ? "" : (options.tableName ?? requireEnv("IDEMPOTENCY_TABLE"));
  /**
   * Each tenant's records are items of its own partition, read and written with its own STS session:
   * like its other data, IAM (`dynamodb:LeadingKeys`) confines them to the tenant, not only the key's hash.
   */
  const stores = new LRUCache<string, { store: BasePersistenceLayer; client: DynamoDBClient }>({
    max: 100,
    dispose: ({ client }) => {
      if (client !== options.client) client.destroy();
    },
  });
  const storeOf = (tenantId: string): BasePersistenceLayer => {
    if (options.persistenceStore) return options.persistenceStore;
    let entry = stores.get(tenantId);
    if (!entry) {
      const client =
        options.client ?? new DynamoDBClient({ credentials: environmentTenantCredentials()?.forTenant(tenantId) });
      const store = new DynamoDBPersistenceLayer({
        tableName,
        keyAttr: "tenantId",
        sortKeyAttr: "id",
        staticPkValue: tenantId,
        awsSdkV3Client: client,
      });
      entry = { store, client };
      stores.set(tenantId, entry);
    }
    return entry.store;
  };
  const expiresAfterSeconds = options.expiresAfterSeconds ?? 24 * 60 * 60;

  return async function idempotentRequests(c, next) {
    const key = c.req.header(IDEMPOTENCY_HEADER);
    if (key === undefined || !KEY_PATTERN.test(key)) {
      const message = key === undefined ? "is required" : "must be 1-255 visible ASCII characters";
      throw new ValidationError([{ location: "header", field: IDEMPOTENCY_HEADER, message }]);
    }
    const request = { tenantId: c.var.tenant.id, route: `${c.req.method} ${c.req.path}`, key, body: await bodyOf(c) };
    const lambdaContext = c.env?.lambdaContext ?? c.env?.context;
    const config = new IdempotencyConfig({
      eventKeyJmesPath: "[tenantId, route, key]",
      payloadValidationJmesPath: "body",
      throwOnNoIdempotencyKey: true,
      expiresAfterSeconds,
      responseHook: (response) => ({ ...(response as object), replayed: true }),
      ...(lambdaContext && { lambdaContext }),
    });
    /** set once the route has answered 2xx: what fails after that is only the storing of the answer */
    let answered = false;
    const runOnce = makeIdempotent(
      async (_request: typeof request): Promise<StoredResponse> => {
        await next();
        const { status, headers } = c.res;
        if (status < 200 || status >= 300) throw new AnswerNotStored();
        const body = await c.res.clone().text();
        answered = true;
        return { status, headers: storedHeaders(headers), body };
      },
      { persistenceStore: storeOf(request.tenantId), config, keyPrefix: "requests" },
    );

    let answer: StoredResponse;
    try {
      answer = await runOnce(request);
    } catch (error) {
      if (error instanceof AnswerNotStored) return; // c.res already holds the (error) answer
      if (error instanceof IdempotencyValidationError) throw new IdempotencyKeyReusedError();
      if (error instanceof IdempotencyAlreadyInProgressError) throw new IdempotentRequestInProgressError();
      if (answered && error instanceof IdempotencyPersistenceLayerError) {
        // The route's work is done (an order committed, say): a 503 would tell the client otherwise.
        logger.warn("the answer of an idempotent request was not stored; answering it anyway", {
          route: request.route,
          error: (error.cause ?? error) as Error,
        });
        return; // c.res already holds the route's answer
      }
      // The store's own failure (throttling, outage) is what the client should hear about.
      if (error instanceof IdempotencyPersistenceLayerError && error.cause) throw error.cause;
      throw error;
    }
    if (answer.replayed) {
      c.res = c.body(answer.body, answer.status as ContentfulStatusCode, {
        ...answer.headers,
        [IDEMPOTENT_REPLAYED_HEADER]: "true",
      });
    }
  };
};
