/** The AWS environment of the local stack: the standard variables that point an AWS SDK at moto. */

/** Region of the local stack; moto keeps separate state per region, so every process must agree. */
export const localRegion = "us-east-1";

/** Moto's default account id (moto/core/models.py `DEFAULT_ACCOUNT_ID`), pinned in `startMoto`. */
export const localAccountId = "123456789012";

/**
 * Dummy credentials: moto accepts any signature. These are the placeholder keys from the AWS
 * documentation, so they look like ordinary keys and can never be real ones.
 */
export const localCredentials = {
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
} as const;

/**
 * The variables a process needs to reach moto at `endpoint`, and nothing that says it is local:
 * the AWS SDK reads `AWS_ENDPOINT_URL` for every client, so application code stays unaware.
 *
 * @example
 * spawn("node", ["bundle.js"], { env: { ...process.env, ...localAwsEnv(moto.endpoint) } });
 */
export function localAwsEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: localRegion,
    AWS_DEFAULT_REGION: localRegion,
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
  };
}
