/** Dedicated usage-plan keys for enterprise tenants, in API Gateway (pooled tiers share their tier's key). */
import { randomBytes } from "node:crypto";
import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  NotFoundException,
} from "@aws-sdk/client-api-gateway";
import type { UsageKeys } from "../ports.ts";

export function createApiGatewayUsageKeys(options: {
  /** the plan the keys join, looked up when the first key is made */
  usagePlanId: () => Promise<string>;
  keyNamePrefix: string;
  client?: APIGatewayClient;
}): UsageKeys {
  const client = options.client ?? new APIGatewayClient({});
  return {
    async createDedicatedKey(tenantId) {
      // Not a secret (clients cannot present keys); random so that it is unique.
      const value = `${tenantId}-${randomBytes(16).toString("hex")}`;
      const key = await client.send(
        new CreateApiKeyCommand({ name: `${options.keyNamePrefix}-tenant-${tenantId}`, value, enabled: true }),
      );
      const keyId = key.id as string;
      try {
        await client.send(
          new CreateUsagePlanKeyCommand({ usagePlanId: await options.usagePlanId(), keyId, keyType: "API_KEY" }),
        );
      } catch (error) {
        await client.send(new DeleteApiKeyCommand({ apiKey: keyId }));
        throw error;
      }
      return { keyId, value };
    },
    async deleteKey(keyId) {
      try {
        await client.send(new DeleteApiKeyCommand({ apiKey: keyId }));
      } catch (error) {
        if (!(error instanceof NotFoundException)) throw error;
      }
    },
  };
}
