/** Reads a tenant's items straight from a table, past the layer, to check what was really stored where. */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";

const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));

/** Every stored item of the tenant's partition in `tableName` (first page; tests keep partitions small). */
export async function rawItemsOf(tableName: string, tenantId: string) {
  const { Items = [] } = await db.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: "tenantId = :t",
      ExpressionAttributeValues: { ":t": tenantId },
    }),
  );
  return Items;
}
