/** A DynamoDB table seen through one tenant: the partition key is filled in and checked on every key, item and result. */
import { ConditionalCheckFailedException, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { assertTenantId } from "../auth/token-verifier.ts";
import { ServiceUnavailableError, TenantIsolationError } from "../http/errors.ts";

/** Every tenant table's partition key attribute: the tenant id, exactly. */
export const TENANT_KEY = "tenantId";

/** An item or key as business code sees it: without the tenant partition key. */
export type Item = Record<string, unknown>;

/** Names and values for DynamoDB expressions. Names starting with `#tenant`/`:tenant` are reserved. */
export interface ExpressionParts {
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

export interface ConditionOptions extends ExpressionParts {
  /** e.g. `attribute_not_exists(productId)` */
  condition?: string;
}

export interface UpdateOptions extends ConditionOptions {
  /** e.g. `SET #name = :name, version = version + :one` */
  update: string;
}

export interface QueryOptions extends ExpressionParts {
  /** condition on the sort key only, e.g. `begins_with(#sk, :prefix)`; the tenant part is added */
  sortKeyCondition?: string;
  filter?: string;
  limit?: number;
  /** the `nextKey` of the previous page */
  startKey?: Item;
  newestFirst?: boolean;
}

export interface QueryPage<T> {
  items: T[];
  /** pass as `startKey` for the next page; undefined on the last page. Never holds the tenant id. */
  nextKey: Item | undefined;
}

/** One write of an atomic transaction, against any table view of the same tenant (made by `createTenantScopedTable`). */
export type TransactionWrite =
  | { table: TenantTable; put: Item; options?: ConditionOptions }
  | { table: TenantTable; update: Item; options: UpdateOptions }
  | { table: TenantTable; delete: Item; options?: ConditionOptions }
  | { table: TenantTable; conditionCheck: Item; options: ConditionOptions & { condition: string } };

/**
 * Thrown when a write's condition does not hold; services translate it (404, 409, ...).
 *
 * @example
 * try { await table.put(item, { condition: "attribute_not_exists(productId)" }); } catch (error) {
 *   if (error instanceof ConditionFailedError) throw new ConflictError("That product exists.");
 *   throw error;
 * }
 */
export class ConditionFailedError extends Error {
  /** for transactions: which writes failed their condition, by position */
  readonly failedIndexes: number[];

  constructor(failedIndexes: number[] = []) {
    super("The condition of the write did not hold");
    this.name = "ConditionFailedError";
    this.failedIndexes = failedIndexes;
  }
}

/**
 * A table bound to one tenant. The tenant id is never passed by the caller: it is added to every
 * key, checked on every item written, and checked again on every item read back.
 * Scan is deliberately not offered.
 */
export interface TenantTable {
  readonly tableName: string;
  readonly tenantId: string;
  get<T extends Item>(key: Item, options?: { consistent?: boolean }): Promise<T | undefined>;
  put(item: Item, options?: ConditionOptions): Promise<void>;
  /** returns the item after the update */
  update<T extends Item>(key: Item, options: UpdateOptions): Promise<T>;
  /** returns the deleted item, or undefined when nothing was there */
  delete<T extends Item>(key: Item, options?: ConditionOptions): Promise<T | undefined>;
  query<T extends Item>(options?: QueryOptions): Promise<QueryPage<T>>;
  /** writes all or nothing; every write's table must belong to the same tenant */
  transactWrite(writes: TransactionWrite[]): Promise<void>;
  /** reads up to 100 items by key (order not kept; missing keys are absent) */
  batchGet<T extends Item>(keys: Item[], options?: { consistent?: boolean }): Promise<T[]>;
  /** puts and deletes up to 25 items, retrying what DynamoDB leaves unprocessed; not atomic */
  batchWrite(writes: { puts?: Item[]; deletes?: Item[] }): Promise<void>;
}

/** How often unprocessed batch items are retried (with backoff) before the call fails. */
const BATCH_RETRIES = 5;

const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));

/** The in-process half of isolation: what goes out carries this tenant's key, what comes back belongs to it. */
export interface TenantKeyGuard {
  tenantId: string;
  /** the caller's key/item with the tenant key added; a different tenant key is a violation */
  scope(keyOrItem: Item, what: string): Item;
  /** the stored item without the tenant key; an item of another tenant is a violation */
  unscope<T extends Item>(stored: Record<string, unknown>, what: string): T;
}

export function createTenantKeyGuard(tenantId: string, tableName: string): TenantKeyGuard {
  return {
    tenantId,
    scope(keyOrItem, what) {
      const claimed = keyOrItem[TENANT_KEY];
      if (claimed !== undefined && claimed !== tenantId) {
        throw new TenantIsolationError(`${what} on ${tableName} named another tenant's partition`);
      }
      return { ...keyOrItem, [TENANT_KEY]: tenantId };
    },
    unscope<T extends Item>(stored: Record<string, unknown>, what: string) {
      const { [TENANT_KEY]: owner, ...rest } = stored;
      if (owner !== tenantId) throw new TenantIsolationError(`${what} on ${tableName} returned another tenant's item`);
      return rest as T;
    },
  };
}

const RESERVED_PLACEHOLDER = /^[#:]tenant/i;

function checkReservedNames(parts: ExpressionParts): void {
  for (const placeholders of [parts.names, parts.values]) {
    for (const name in placeholders) {
      if (RESERVED_PLACEHOLDER.test(name)) {
        throw new TenantIsolationError(`expression placeholder ${name} is reserved for the tenant key`);
      }
    }
  }
}

function expression(parts: ExpressionParts) {
  checkReservedNames(parts);
  return {
    ...(parts.names && Object.keys(parts.names).length > 0 && { ExpressionAttributeNames: parts.names }),
    ...(parts.values && Object.keys(parts.values).length > 0 && { ExpressionAttributeValues: parts.values }),
  };
}

function conditionParams(options: ConditionOptions | undefined) {
  if (!options) return {};
  return { ...expression(options), ...(options.condition && { ConditionExpression: options.condition }) };
}

/**
 * Why DynamoDB cancels a transaction when nothing is wrong with it: another write to one of its
 * items was under way, or the table was throttled. The SDK does not retry a cancelled transaction.
 */
const TRANSIENT_CANCELLATIONS = new Set(["TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"]);

async function translateConditionFailure<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw new ConditionFailedError();
    if (error instanceof TransactionCanceledException) {
      const reasons = error.CancellationReasons ?? [];
      const failed = reasons.flatMap((r, i) => (r.Code === "ConditionalCheckFailed" ? [i] : []));
      if (failed.length > 0) throw new ConditionFailedError(failed);
      if (reasons.some((r) => r.Code !== undefined && TRANSIENT_CANCELLATIONS.has(r.Code))) {
        throw new ServiceUnavailableError("A concurrent change to the same data got there first; retry.", 1);
      }
    }
    throw error;
  }
}

/**
 * The table and tenant of every view `createTenantScopedTable` made, as it made them: a transaction
 * takes its tables from here, never from the (plain) object it is handed, so neither a look-alike
 * object nor a view whose properties were changed can send a write elsewhere.
 */
const genuineViews = new WeakMap<TenantTable, { tableName: string; tenantId: string }>();

/**
 * Creates a table client bound to one tenant. `client` should carry credentials from
 * `createTenantCredentials` so that IAM enforces the same rule these checks enforce. The view is
 * frozen; a tenant id that is not one is refused (`assertTenantId`).
 *
 * @example
 * const products = createTenantScopedTable({ client, tableName, tenantId: "acme" });
 * await products.put({ productId, name }, { condition: "attribute_not_exists(productId)" });
 */
export function createTenantScopedTable(options: {
  client: DynamoDBDocumentClient;
  tableName: string;
  tenantId: string;
}): TenantTable {
  const { client, tableName, tenantId } = options;
  assertTenantId(tenantId);
  const guard = createTenantKeyGuard(tenantId, tableName);

  const table: TenantTable = {
    tableName,
    tenantId,

    async get<T extends Item>(key: Item, opts?: { consistent?: boolean }) {
      const { Item: found } = await client.send(
        new GetCommand({ TableName: tableName, Key: guard.scope(key, "get"), ConsistentRead: opts?.consistent }),
      );
      return found ? guard.unscope<T>(found, "get") : undefined;
    },

    async put(item, opts) {
      await translateConditionFailure(
        client.send(new PutCommand({ TableName: tableName, Item: guard.scope(item, "put"), ...conditionParams(opts) })),
      );
    },

    async update<T extends Item>(key: Item, opts: UpdateOptions) {
      const { Attributes } = await translateConditionFailure(
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: guard.scope(key, "update"),
            UpdateExpression: opts.update,
            ReturnValues: "ALL_NEW",
            ...conditionParams(opts),
          }),
        ),
      );
      return guard.unscope<T>(Attributes ?? {}, "update");
    },

    async delete<T extends Item>(key: Item, opts?: ConditionOptions) {
      const { Attributes } = await translateConditionFailure(
        client.send(
          new DeleteCommand({
            TableName: tableName,
            Key: guard.scope(key, "delete"),
            ReturnValues: "ALL_OLD",
            ...conditionParams(opts),
          }),
        ),
      );
      return Attributes ? guard.unscope<T>(Attributes, "delete") : undefined;
    },

    async query<T extends Item>(opts: QueryOptions = {}) {
      const parts = expression(opts);
      const keyCondition = `#tenantKey = :tenantKey${opts.sortKeyCondition ? ` AND ${opts.sortKeyCondition}` : ""}`;
      const result = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: keyCondition,
          FilterExpression: opts.filter,
          ExpressionAttributeNames: { ...parts.ExpressionAttributeNames, "#tenantKey": TENANT_KEY },
          ExpressionAttributeValues: { ...parts.ExpressionAttributeValues, ":tenantKey": tenantId },
          Limit: opts.limit,
          ExclusiveStartKey: opts.startKey ? guard.scope(opts.startKey, "query start key") : undefined,
          ScanIndexForward: opts.newestFirst ? false : undefined,
        }),
      );
      return {
        items: (result.Items ?? []).map((item) => guard.unscope<T>(item, "query")),
        nextKey: result.LastEvaluatedKey ? guard.unscope(result.LastEvaluatedKey, "query next key") : undefined,
      };
    },

    async transactWrite(writes) {
      const items = writes.map((write) => {
        const view = genuineViews.get(write.table);
        if (!view)
          throw new TenantIsolationError(`transaction on ${tableName} included a table that is no tenant view`);
        if (view.tenantId !== tenantId) {
          throw new TenantIsolationError(`transaction on ${tableName} included a write for another tenant`);
        }
        const target = view.tableName;
        const other = createTenantKeyGuard(tenantId, target);
        if ("put" in write) {
          return {
            Put: { TableName: target, Item: other.scope(write.put, "transact put"), ...conditionParams(write.options) },
          };
        }
        if ("update" in write) {
          return {
            Update: {
              TableName: target,
              Key: other.scope(write.update, "transact update"),
              UpdateExpression: write.options.update,
              ...conditionParams(write.options),
            },
          };
        }
        if ("delete" in write) {
          return {
            Delete: {
              TableName: target,
              Key: other.scope(write.delete, "transact delete"),
              ...conditionParams(write.options),
            },
          };
        }
        return {
          ConditionCheck: {
            TableName: target,
            Key: other.scope(write.conditionCheck, "transact condition check"),
            ...conditionParams(write.options),
            ConditionExpression: write.options.condition,
          },
        };
      });
      await translateConditionFailure(client.send(new TransactWriteCommand({ TransactItems: items })));
    },

    async batchGet<T extends Item>(keys: Item[], opts?: { consistent?: boolean }) {
      if (keys.length > 100) throw new RangeError("batchGet takes at most 100 keys");
      const found: T[] = [];
      let pending: Item[] = keys.map((key) => guard.scope(key, "batch get"));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > BATCH_RETRIES) throw new Error(`batchGet on ${tableName}: keys left unprocessed`);
        if (attempt > 0) await backoff(attempt);
        const { Responses, UnprocessedKeys } = await client.send(
          new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: opts?.consistent } } }),
        );
        found.push(...(Responses?.[tableName] ?? []).map((item) => guard.unscope<T>(item, "batch get")));
        // What comes back to be sent again is checked as what went out was.
        pending = ((UnprocessedKeys?.[tableName]?.Keys ?? []) as Item[]).map((key) => guard.scope(key, "batch get"));
      }
      return found;
    },

    async batchWrite({ puts = [], deletes = [] }) {
      if (puts.length + deletes.length > 25) throw new RangeError("batchWrite takes at most 25 writes");
      type WriteRequest = { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } };
      // What comes back unprocessed, to be sent again, is checked as what went out first was.
      const scoped = ({ PutRequest, DeleteRequest }: WriteRequest): WriteRequest =>
        PutRequest
          ? { PutRequest: { Item: guard.scope(PutRequest.Item, "batch put") } }
          : { DeleteRequest: { Key: guard.scope(DeleteRequest?.Key ?? {}, "batch delete") } };
      let pending = [
        ...puts.map((item) => scoped({ PutRequest: { Item: item } })),
        ...deletes.map((key) => scoped({ DeleteRequest: { Key: key } })),
      ];
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > BATCH_RETRIES) throw new Error(`batchWrite on ${tableName}: writes left unprocessed`);
        if (attempt > 0) await backoff(attempt);
        const { UnprocessedItems } = await client.send(
          new BatchWriteCommand({ RequestItems: { [tableName]: pending } }),
        );
        pending = ((UnprocessedItems?.[tableName] ?? []) as WriteRequest[]).map(scoped);
      }
    },
  };
  Object.freeze(table);
  genuineViews.set(table, { tableName, tenantId });
  return table;
}
