/** Tenant records in the tenants table (the registry the layer reads); listed through the byKind index, never scanned. */
import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { TenantRecord } from "@tenantkit/tenant-context";
import { TenantExistsError, type TenantRecords } from "../ports.ts";

/** Every record carries this, so the byKind index lists them all in id order. */
const KIND = "tenant";

const strip = ({ kind: _kind, ...record }: Record<string, unknown>) => record as unknown as TenantRecord;

export function createDynamoDbTenantRecords(
  tableName: string,
  client = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
): TenantRecords {
  return {
    async create(record) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...record, kind: KIND },
            ConditionExpression: "attribute_not_exists(tenantId)",
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) throw new TenantExistsError(record.tenantId);
        throw error;
      }
    },

    async get(tenantId) {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: { tenantId }, ConsistentRead: true }),
      );
      return Item && strip(Item);
    },

    async list(limit, startKey) {
      const { Items = [], LastEvaluatedKey } = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: "byKind",
          KeyConditionExpression: "kind = :kind",
          ExpressionAttributeValues: { ":kind": KIND },
          Limit: limit,
          ExclusiveStartKey: startKey ? { ...startKey, kind: KIND } : undefined,
        }),
      );
      const nextKey = LastEvaluatedKey && { tenantId: LastEvaluatedKey.tenantId };
      return { items: Items.map(strip), nextKey };
    },

    async transition(tenantId, from, changes, now) {
      const fields = { ...changes, updatedAt: now.toISOString() };
      const names: Record<string, string> = { "#status": "status" };
      const values: Record<string, unknown> = {};
      const sets: string[] = [];
      const removes: string[] = [];
      for (const [key, value] of Object.entries(fields)) {
        names[`#${key}`] = key;
        if (value === undefined) removes.push(`#${key}`);
        else {
          sets.push(`#${key} = :${key}`);
          values[`:${key}`] = value;
        }
      }
      from.forEach((status, i) => {
        values[`:from${i}`] = status;
      });
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { tenantId },
            UpdateExpression: `SET ${sets.join(", ")}${removes.length > 0 ? ` REMOVE ${removes.join(", ")}` : ""}`,
            ConditionExpression: `#status IN (${from.map((_, i) => `:from${i}`).join(", ")})`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async remove(tenantId, status) {
      try {
        await client.send(
          new DeleteCommand({
            TableName: tableName,
            Key: { tenantId },
            ConditionExpression: "attribute_not_exists(tenantId) OR #status = :status",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: { ":status": status },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
  };
}
