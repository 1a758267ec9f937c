import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { localCredentials, localRegion } from "./aws-env.ts";
import { resetMoto, startMoto } from "./moto.ts";

// A server of its own: resetting the shared one would wipe what the other integration tests use.
describe("startMoto", () => {
  it("starts a server that answers, resets it, and stops it", async () => {
    const lines: string[] = [];
    const moto = await startMoto({ log: (line) => lines.push(line) });
    const dynamodb = new DynamoDBClient({
      endpoint: moto.endpoint,
      region: localRegion,
      credentials: localCredentials,
    });
    try {
      await dynamodb.send(
        new CreateTableCommand({
          TableName: "scratch",
          BillingMode: "PAY_PER_REQUEST",
          AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
          KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        }),
      );

      await resetMoto(moto.endpoint);

      expect((await dynamodb.send(new ListTablesCommand({}))).TableNames).toEqual([]);
      expect(lines.some((line) => line.includes("/moto-api/reset"))).toBe(true);
    } finally {
      dynamodb.destroy();
      await moto.stop();
    }

    await expect(fetch(`${moto.endpoint}/moto-api/data.json`)).rejects.toThrow();
  });

  it("refuses a port that is already taken rather than mistaking another server for its own", async () => {
    const first = await startMoto();
    try {
      await expect(startMoto({ port: first.port })).rejects.toThrow(`127.0.0.1:${first.port} is already in use`);
    } finally {
      await first.stop();
    }
  });
});
