/** What the security, reliability and load suites need from a running local stack: its resources, AWS env and fresh tenants. */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { createCognitoIdentityProvider } from "@tenantkit/shared/identity-provider";
import type { Role, TenantStatus, Tier } from "@tenantkit/tenant-context";
import { createDynamoDbTenantRecords } from "../../../functions/tenants/adapters/dynamodb-tenant-records.ts";
import { onboardTenant } from "../../../functions/tenants/use-cases/onboard-tenant.ts";
import { localAwsEnv } from "../../../tools/local/aws-env.ts";
import { provision } from "../../../tools/local/provision.ts";
import { DEMO_PASSWORD } from "../../../tools/local/seed.ts";
import { signIn } from "../../../tools/local/sign-in.ts";
import { LOCAL_STACK_NAME, LOCAL_STAGE, type StackInfo } from "../../../tools/local/stack.ts";
import type { ResolveContext } from "../../../tools/local/template.ts";

/** A running stack with what `Ref`/`GetAtt` resolve to in it. */
export interface StackWithResources extends StackInfo {
  context: ResolveContext;
}

/**
 * Points this process's AWS SDK clients at the stack's moto and returns the stack with its
 * resources. The e2e setup does not hand the resolve context over (only `StackInfo`), so it is
 * read back by provisioning again, which reuses every existing resource and changes nothing.
 */
export async function withResources(info: StackInfo & { context?: ResolveContext }): Promise<StackWithResources> {
  Object.assign(process.env, localAwsEnv(info.endpoint));
  const context =
    info.context ??
    (await provision({ endpoint: info.endpoint, stackName: LOCAL_STACK_NAME, parameters: { Stage: LOCAL_STAGE } }));
  return { ...info, context };
}

/** A signed-in user of a test tenant. */
export interface TestUser {
  email: string;
  role: Role;
  /** the ID token the user got from the stack's user pool */
  token: string;
}

/** A tenant onboarded for one suite through the real onboarding code; nobody else touches it. */
export interface TestTenant {
  tenantId: string;
  tier: Tier;
  admin: TestUser;
  user: TestUser;
}

const suffix = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** A fresh, never-seen tenant id with the given prefix (a valid slug). */
export const freshTenantId = (prefix: string) => `${prefix}-${suffix()}`;

/** Creates a user of `tenantId` in the stack's user pool with the demo password (no sign-in). */
export async function createTestUser(
  stack: StackWithResources,
  tenantId: string,
  role: Role,
  email = `${role}-${suffix()}@${tenantId}.test`,
): Promise<string> {
  const identity = createCognitoIdentityProvider(stack.context.refs.UserPool as string);
  await identity.createUser({ email, tenantId, role, password: DEMO_PASSWORD });
  return email;
}

/** Signs a user of the stack in and returns the ID token. */
export async function idTokenOf(stack: StackInfo, email: string): Promise<string> {
  return (await signIn({ ...stack, email, password: DEMO_PASSWORD })).idToken;
}

/**
 * Onboards a new tenant (tenant record, admin, ACTIVE) as `tools/local/seed.ts` does, adds a
 * tenant-user, and signs both in. Tenants made here never collide with the demo data.
 */
export async function onboardTestTenant(
  stack: StackWithResources,
  prefix: string,
  tier: Tier = "basic",
): Promise<TestTenant> {
  const tenantId = freshTenantId(prefix);
  const records = createDynamoDbTenantRecords(stack.context.refs.TenantsTable as string);
  const identity = createCognitoIdentityProvider(stack.context.refs.UserPool as string);
  const adminEmail = `admin@${tenantId}.test`;
  await onboardTenant(
    { records, identity },
    { tenantId, name: `Test tenant ${tenantId}`, tier, adminEmail, adminPassword: DEMO_PASSWORD },
  );
  const userEmail = await createTestUser(stack, tenantId, "tenant-user", `user@${tenantId}.test`);
  const [adminToken, userToken] = await Promise.all([idTokenOf(stack, adminEmail), idTokenOf(stack, userEmail)]);
  return {
    tenantId,
    tier,
    admin: { email: adminEmail, role: "tenant-admin", token: adminToken },
    user: { email: userEmail, role: "tenant-user", token: userToken },
  };
}

/** Changes a tenant's record straight in the tenants table, as an operator's change would land. */
export async function updateTenantRecord(
  stack: StackWithResources,
  tenantId: string,
  changes: Record<string, unknown>,
): Promise<void> {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const names = Object.keys(changes);
  try {
    await client.send(
      new UpdateCommand({
        TableName: stack.context.refs.TenantsTable as string,
        Key: { tenantId },
        UpdateExpression: `SET ${names.map((_, i) => `#n${i} = :v${i}`).join(", ")}`,
        ConditionExpression: "attribute_exists(tenantId)",
        ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#n${i}`, name])),
        ExpressionAttributeValues: Object.fromEntries(names.map((name, i) => [`:v${i}`, changes[name]])),
      }),
    );
  } finally {
    client.destroy();
  }
}

/** Flips a tenant's status straight in the tenants table. */
export const setTenantStatus = (stack: StackWithResources, tenantId: string, status: TenantStatus) =>
  updateTenantRecord(stack, tenantId, { status });
