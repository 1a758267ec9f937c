/** Tenant records in the tenants table (the registry the layer reads). */
import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { TenantExistsError, type TenantRecords } from "../ports.ts";

export function createDynamoDbTenantRecords(
  tableName: string,
  client = DynamoDBDocumentClient.from(new DynamoDBClient({})),
): TenantRecords {
  return {
    async create(record) {
      try {
        await client.send(
          new PutCommand({ TableName: tableName, Item: record, ConditionExpression: "attribute_not_exists(tenantId)" }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) throw new TenantExistsError(record.tenantId);
        throw error;
      }
    },
    async setStatus(tenantId, status, now) {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { tenantId },
          UpdateExpression: "SET #status = :status, updatedAt = :now",
          ConditionExpression: "attribute_exists(tenantId)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":status": status, ":now": now.toISOString() },
        }),
      );
    },
    async remove(tenantId) {
      await client.send(new DeleteCommand({ TableName: tableName, Key: { tenantId } }));
    },
  };
}
