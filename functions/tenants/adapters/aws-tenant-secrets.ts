/** The secrets the control plane gives each tenant, in Secrets Manager under `/<stage>/tenants/<id>/`. */
import { randomBytes } from "node:crypto";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { tenantSecretName } from "@tenantkit/tenant-context";
import type { TenantSecretsAdmin } from "../ports.ts";

/** The secrets every tenant starts with. */
export const INITIAL_SECRETS = ["webhook-signing-key"] as const;

export function createSecretsManagerTenantSecrets(
  stage: string,
  client = new SecretsManagerClient({}),
): TenantSecretsAdmin {
  return {
    async createInitialSecrets(tenantId) {
      for (const name of INITIAL_SECRETS) {
        await client.send(
          new CreateSecretCommand({
            Name: tenantSecretName(stage, tenantId, name),
            SecretString: randomBytes(32).toString("base64url"),
            Tags: [{ Key: "TenantId", Value: tenantId }],
          }),
        );
      }
    },
    async deleteAll(tenantId) {
      for (const name of INITIAL_SECRETS) {
        try {
          await client.send(
            new DeleteSecretCommand({
              SecretId: tenantSecretName(stage, tenantId, name),
              ForceDeleteWithoutRecovery: true,
            }),
          );
        } catch (error) {
          if (!(error instanceof ResourceNotFoundException)) throw error;
        }
      }
    },
  };
}
