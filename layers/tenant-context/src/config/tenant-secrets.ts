/** Per-tenant secrets in Secrets Manager under `/<stage>/tenants/<tenantId>/`, read through Powertools Parameters. */

import { TransformParameterError } from "@aws-lambda-powertools/parameters/errors";
import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { LRUCache } from "lru-cache";
import { assertTenantId } from "../auth/token-verifier.ts";
import type { TenantCredentials } from "../data/tenant-credentials.ts";
import { errorChain } from "../http/errors.ts";

/** A secret name below the tenant's folder: path segments of letters, digits, `_`, `-`, `.`; no `.` or `..` segment. */
const SECRET_NAME = /^(?!.*\.\.)(?!(?:.*\/)?\.(?:\/|$))[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;

/** Secrets Manager's longest secret name. */
const MAX_SECRET_NAME_LENGTH = 512;

/** A name as error messages quote it: the start of a long one. */
const quoted = (name: string) => (name.length > 64 ? `${name.slice(0, 64)}…` : name);

/** The caller's tenant's secrets; no method takes a tenant id, so another tenant's path cannot be named. */
export interface TenantSecrets {
  /** the secret's string value, cached for `maxAgeSeconds`; throws when it does not exist */
  get(name: string): Promise<string>;
  /** the secret's value parsed as JSON */
  getJson<T = unknown>(name: string): Promise<T>;
}

export interface TenantSecretsSource {
  forTenant(tenantId: string): TenantSecrets;
}

export interface TenantSecretsOptions {
  stage: string;
  /** per-tenant STS credentials; IAM then limits the session to `/<stage>/tenants/<its tenant>/*` */
  credentials?: TenantCredentials;
  /** cache lifetime of a value (Powertools `maxAge`); default POWERTOOLS_PARAMETERS_MAX_AGE or 5 s */
  maxAgeSeconds?: number;
  maxTenants?: number;
}

/**
 * The full Secrets Manager name of a tenant's secret.
 *
 * @example
 * tenantSecretName("prod", "acme", "payment-provider/api-key"); // "/prod/tenants/acme/payment-provider/api-key"
 */
export function tenantSecretName(stage: string, tenantId: string, name: string): string {
  assertTenantId(tenantId);
  const full = `/${stage}/tenants/${tenantId}/${name}`;
  if (!SECRET_NAME.test(name) || full.length > MAX_SECRET_NAME_LENGTH) {
    throw new Error(`invalid secret name '${quoted(name)}'`);
  }
  return full;
}

/**
 * Creates the secrets source of a container. Each tenant gets its own Powertools
 * `SecretsProvider` (and so its own cache and its own STS session); providers are bounded.
 *
 * @example
 * const secrets = createTenantSecrets({ stage: requireEnv("STAGE"), credentials });
 * const apiKey = await secrets.forTenant("acme").get("payment-provider/api-key");
 */
export function createTenantSecrets(options: TenantSecretsOptions): TenantSecretsSource {
  const providers = new LRUCache<string, SecretsProvider>({ max: options.maxTenants ?? 100 });
  const maxAge = options.maxAgeSeconds;

  function providerFor(tenantId: string): SecretsProvider {
    let provider = providers.get(tenantId);
    if (!provider) {
      const credentials = options.credentials?.forTenant(tenantId);
      provider = new SecretsProvider({
        awsSdkV3Client: new SecretsManagerClient({ ...(credentials && { credentials }) }),
      });
      providers.set(tenantId, provider);
    }
    return provider;
  }

  return {
    forTenant(tenantId) {
      const read = async <T>(name: string, transform?: "json"): Promise<T> => {
        let value: unknown;
        try {
          value = await providerFor(tenantId).get(tenantSecretName(options.stage, tenantId, name), {
            ...(maxAge !== undefined && { maxAge }),
            ...(transform && { transform }),
          });
        } catch (error) {
          // Powertools' message quotes the start of the value JSON.parse refused: a secret must not reach a log.
          if (error instanceof TransformParameterError) throw new Error(`secret '${name}' is not valid JSON`);
          if (errorChain(error).some((e) => e.name === "ResourceNotFoundException")) {
            throw new Error(`secret '${name}' does not exist`);
          }
          throw error;
        }
        if (value === undefined) throw new Error(`secret '${name}' has no value`);
        // A binary secret comes as bytes; this interface promises text.
        if (!transform && typeof value !== "string") throw new Error(`secret '${name}' is binary, not text`);
        return value as T;
      };
      return {
        get: (name) => read<string>(name),
        getJson: (name) => read(name, "json"),
      };
    },
  };
}
