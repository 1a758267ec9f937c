/** STS credentials pinned to one tenant (session tag TenantId), cached per tenant until shortly before expiry. */
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";
import { LRUCache } from "lru-cache";
import { assertTenantId } from "../auth/token-verifier.ts";
import { requireEnv } from "../config.ts";

export interface TenantCredentialsOptions {
  roleArn: string;
  sts?: STSClient;
  /** session length asked of STS; 900 s is the minimum STS allows */
  durationSeconds?: number;
  /** refresh this long before expiry so no request starts with credentials about to lapse */
  refreshMarginSeconds?: number;
  maxTenants?: number;
}

/** A tenant's credentials, the AssumeRole that is renewing them, if one is, and its last failure. */
interface Session {
  current?: AwsCredentialIdentity;
  refresh?: Promise<AwsCredentialIdentity>;
  failed?: { error: unknown; at: number };
}

/**
 * After an AssumeRole failed, how long the next calls get its failure rather than one more try
 * each: with credentials due for refresh, the SDK asks for them before every call, and STS
 * throttling (the usual failure) would be made worse by a retry per call.
 */
const FAILED_REFRESH_BACKOFF_MS = 1000;

/** Credentials due for refresh still serve while it fails, if they outlast a request's work. */
const STILL_USABLE_MS = 30_000;

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
  const sessions = new LRUCache<string, Session>({ max: options.maxTenants ?? 500 });
  const expiresAt = (credentials: AwsCredentialIdentity) => credentials.expiration?.getTime() ?? 0;
  const newSession = (tenantId: string): Session => {
    const session: Session = {};
    sessions.set(tenantId, session);
    return session;
  };

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
      assertTenantId(tenantId);
      return async () => {
        const session = sessions.get(tenantId) ?? newSession(tenantId);
        const { current, failed } = session;
        const now = Date.now();
        if (current && expiresAt(current) - marginMs > now) return current;
        const stillUsable = () => {
          if (current && expiresAt(current) - STILL_USABLE_MS > Date.now()) return current;
          throw session.failed?.error;
        };
        if (failed && now - failed.at < FAILED_REFRESH_BACKOFF_MS) return stillUsable();
        // One AssumeRole at a time per tenant: concurrent callers share it, and its failure.
        session.refresh ??= assume(tenantId)
          .then((credentials) => {
            session.current = credentials;
            session.failed = undefined;
            return credentials;
          })
          .catch((error: unknown) => {
            session.failed = { error, at: Date.now() };
            throw error;
          })
          .finally(() => {
            session.refresh = undefined;
          });
        try {
          return await session.refresh;
        } catch {
          // Until the next try, credentials due for refresh still serve.
          return stillUsable();
        }
      };
    },
  };
}

/** The container's credential sources, one per role. */
const containerSources = new Map<string, TenantCredentials>();

/**
 * The container's one credential source for the tenant data role `roleArn`: every part of a
 * function that reads tenant data (the tenant context, idempotent requests, the control plane)
 * shares its sessions, so a tenant costs at most one AssumeRole per credential lifetime per
 * container, however many parts use it.
 *
 * @example
 * const client = new DynamoDBClient({ credentials: tenantDataCredentials(requireEnv("TENANT_DATA_ROLE_ARN")).forTenant("acme") });
 */
export function tenantDataCredentials(roleArn: string): TenantCredentials {
  let source = containerSources.get(roleArn);
  if (!source) {
    source = createTenantCredentials({ roleArn });
    containerSources.set(roleArn, source);
  }
  return source;
}

/**
 * The tenant data role's sessions, for the role the environment names. On Lambda (and in the local
 * stack, which sets what Lambda sets) the role is required: without it every tenant's data would
 * be read with the function's own role, which IAM does not confine to a tenant. Elsewhere (tests,
 * scripts) its absence means no per-tenant credentials.
 *
 * @example
 * const credentials = environmentTenantCredentials(); // undefined outside Lambda without TENANT_DATA_ROLE_ARN
 */
export function environmentTenantCredentials(): TenantCredentials | undefined {
  const roleArn = process.env.AWS_LAMBDA_FUNCTION_NAME
    ? requireEnv("TENANT_DATA_ROLE_ARN")
    : process.env.TENANT_DATA_ROLE_ARN;
  return roleArn ? tenantDataCredentials(roleArn) : undefined;
}
