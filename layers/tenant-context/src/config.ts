/** Typed configuration from the environment, read once at cold start, failing fast with the variable's name. */

/**
 * Reads a required environment variable or throws naming it.
 *
 * @example
 * const app = createServiceApp({ tables: { products: requireEnv("PRODUCTS_TABLE") } });
 */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`${name} environment variable is not set`);
  return value;
}

/**
 * The region Lambda (or the local stack) runs in.
 *
 * @example
 * const verifier = createTokenVerifier({ region: awsRegion(), userPoolId: requireEnv("USER_POOL_ID"), clientId });
 */
export function awsRegion(env: NodeJS.ProcessEnv = process.env): string {
  return env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? requireEnv("AWS_REGION", env);
}
