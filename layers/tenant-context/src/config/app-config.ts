/** Global configuration (tier limits, feature flags per tier) as SSM parameters under `/<stage>/config/`, via Powertools Parameters. */
import type { SSMProvider } from "@aws-lambda-powertools/parameters/ssm";

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
      // Loaded on first use: the SSM client is the layer's largest, and most requests never need it.
      provider ??= new (await import("@aws-lambda-powertools/parameters/ssm")).SSMProvider();
      const value = await provider.get(`/${options.stage}/config/${name}`, {
        transform: "json",
        ...(maxAgeSeconds !== undefined && { maxAge: maxAgeSeconds }),
      });
      if (value === undefined) throw new Error(`configuration '${name}' has no value`);
      return value as T;
    },
  };
}
