/** Global configuration (tier limits, feature flags per tier) as SSM parameters under `/<stage>/config/`, via Powertools Parameters. */
import type { SSMProvider } from "@aws-lambda-powertools/parameters/ssm";
import { errorChain } from "../http/errors.ts";

export interface AppConfig {
  /** `/<stage>/config/<name>` parsed as JSON, cached for `maxAgeSeconds` (or the given maxAge) */
  getJson<T = unknown>(name: string, maxAgeSeconds?: number): Promise<T>;
}

export interface AppConfigOptions {
  stage: string;
  provider?: SSMProvider;
  /** default POWERTOOLS_PARAMETERS_MAX_AGE or 5 s (Powertools' own default) */
  maxAgeSeconds?: number;
}

const CONFIG_NAME = /^(?!.*\.\.)[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;

/**
 * Reads global configuration. Not tenant data: every tenant of a tier sees the same values.
 *
 * @example
 * const config = createAppConfig({ stage: requireEnv("STAGE") });
 * const tiers = await config.getJson<TierConfig>("tiers");
 */
export function createAppConfig(options: AppConfigOptions): AppConfig {
  let provider = options.provider;
  return {
    async getJson<T>(name: string, maxAgeSeconds = options.maxAgeSeconds) {
      if (!CONFIG_NAME.test(name)) throw new Error(`invalid configuration name '${name}'`);
      // Loaded on first use: the SSM client is the layer's largest, and only a function that meters
      // requests or reads configuration needs it.
      provider ??= new (await import("@aws-lambda-powertools/parameters/ssm")).SSMProvider();
      let value: unknown;
      try {
        value = await provider.get(`/${options.stage}/config/${name}`, {
          transform: "json",
          ...(maxAgeSeconds !== undefined && { maxAge: maxAgeSeconds }),
        });
      } catch (error) {
        if (errorChain(error).some((e) => e.name === "ParameterNotFound")) {
          throw new Error(`configuration '${name}' does not exist`);
        }
        throw error;
      }
      if (value === undefined) throw new Error(`configuration '${name}' has no value`);
      return value as T;
    },
  };
}
