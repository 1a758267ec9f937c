/** STS credentials pinned to one tenant (session tag TenantId), cached per tenant until shortly before expiry. */
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";
import { LRUCache } from "lru-cache";

export interface TenantCredentialsOptions {
  roleArn: string;
  sts?: STSClient;
  /** session length asked of STS; 900 s is the minimum STS allows */
  durationSeconds?: number;
  /** refresh this long before expiry so no request starts with credentials about to lapse */
  refreshMarginSeconds?: number;
  maxTenants?: number;
}

/** Hands out a credentials provider per tenant; at most one AssumeRole per tenant per credential lifetime. */
export interface TenantCredentials {
  forTenant(tenantId: string): AwsCredentialIdentityProvider;
}

/**
 * Creates the per-tenant credential source. The role's policy limits DynamoDB to items whose
 * partition key equals `${aws:PrincipalTag/TenantId}`, so IAM itself enforces isolation.
 *
 * @example
 * const credentials = createTenantCredentials({ roleArn: requireEnv("TENANT_DATA_ROLE_ARN") });
 * const client = new DynamoDBClient({ credentials: credentials.forTenant("acme") });
 */
export function createTenantCredentials(options: TenantCredentialsOptions): TenantCredentials {
  const sts = options.sts ?? new STSClient({});
  const durationSeconds = options.durationSeconds ?? 3600;
  const marginMs = (options.refreshMarginSeconds ?? 300) * 1000;
  const sessions = new LRUCache<string, Promise<AwsCredentialIdentity>>({ max: options.maxTenants ?? 500 });

  async function assume(tenantId: string): Promise<AwsCredentialIdentity> {
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: options.roleArn,
        RoleSessionName: `tenant-${tenantId}`.slice(0, 64),
        DurationSeconds: durationSeconds,
        Tags: [{ Key: "TenantId", Value: tenantId }],
      }),
    );
    if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey) throw new Error("STS returned no credentials");
    return {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      sessionToken: Credentials.SessionToken,
      expiration: Credentials.Expiration,
    };
  }

  return {
    forTenant(tenantId) {
      return async () => {
        /** credentials due for refresh but not expired: still usable while a refresh fails */
        let stillValid: AwsCredentialIdentity | undefined;
        let pending = sessions.get(tenantId);
        while (pending) {
          const outcome = await pending.then(
            (credentials) => ({ credentials, error: undefined }),
            (error: unknown) => ({ credentials: undefined, error }),
          );
          // The call this one waited for failed: so does this one, rather than each waiter retrying in turn.
          if (!outcome.credentials) {
            if (stillValid) return stillValid;
            throw outcome.error;
          }
          const expiresAt = outcome.credentials.expiration?.getTime() ?? 0;
          if (expiresAt - marginMs > Date.now()) return outcome.credentials;
          if (expiresAt > Date.now()) stillValid = outcome.credentials;
          // Due for refresh: refresh, unless a concurrent call already has; then wait for its answer.
          const latest = sessions.get(tenantId);
          if (latest === pending) break;
          pending = latest;
        }
        const fresh = assume(tenantId);
        sessions.set(tenantId, fresh);
        const fallback = stillValid;
        // A failure is not kept: the next call tries again (meanwhile with the still-valid credentials).
        fresh.catch(() => {
          if (sessions.get(tenantId) !== fresh) return;
          if (fallback) sessions.set(tenantId, Promise.resolve(fallback));
          else sessions.delete(tenantId);
        });
        return fallback ? fresh.catch(() => fallback) : fresh;
      };
    },
  };
}
