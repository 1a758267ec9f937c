/** Typed configuration from the environment, read once at cold start, failing fast with the variable's name. */

/** Reads a required environment variable or throws naming it. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`${name} environment variable is not set`);
  return value;
}

/** The region Lambda (or the local stack) runs in. */
export function awsRegion(env: NodeJS.ProcessEnv = process.env): string {
  return env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? requireEnv("AWS_REGION", env);
}
