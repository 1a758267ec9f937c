/** The AWS side of the benchmarks: one moto server with template.yaml provisioned, bench tenants and their tokens. */
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { TENANT_CLAIM } from "@tenantkit/tenant-context";
import { localAwsEnv, localRegion } from "../../tools/local/aws-env.ts";
import { type MotoServer, startMoto } from "../../tools/local/moto.ts";
import { provision } from "../../tools/local/provision.ts";
import { signIn } from "../../tools/local/sign-in.ts";
import type { ResolveContext, Template } from "../../tools/local/template.ts";

export const BENCH_STACK_NAME = "tenantkit-bench";
const BENCH_PASSWORD = "Bench-password-1";

export interface BenchAws {
  endpoint: string;
  /** what the template's Ref/GetAtt resolve to in this moto */
  context: ResolveContext;
  /** the standard variables that point an AWS SDK at moto */
  env: Record<string, string>;
  /**
   * An ID token of the admin of `tenantId`, registering the tenant the first time: ACTIVE, premium
   * tier (pooled tables, and a daily request quota no benchmark run comes near).
   */
  tokenFor(tenantId: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Registers a bench tenant with AWS calls only (tenant record, Cognito admin with the tenant claim),
 * not through the onboarding use case: the benchmarks measure requests, not the control plane.
 */
async function registerTenant(context: ResolveContext, endpoint: string, tenantId: string): Promise<string> {
  const now = new Date().toISOString();
  const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const cognito = new CognitoIdentityProviderClient({});
  const userPoolId = context.refs.UserPool as string;
  const email = `admin@${tenantId}.bench`;
  try {
    await dynamodb.send(
      new PutCommand({
        TableName: context.refs.TenantsTable as string,
        Item: {
          tenantId,
          name: `Bench ${tenantId}`,
          tier: "premium",
          status: "ACTIVE",
          createdAt: now,
          updatedAt: now,
        },
      }),
    );
    await cognito.send(
      new AdminCreateUserCommand({
        UserPoolId: userPoolId,
        Username: email,
        MessageAction: "SUPPRESS",
        UserAttributes: [
          { Name: "email", Value: email },
          { Name: "email_verified", Value: "true" },
          { Name: TENANT_CLAIM, Value: tenantId },
        ],
      }),
    );
    await cognito.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: userPoolId,
        Username: email,
        Password: BENCH_PASSWORD,
        Permanent: true,
      }),
    );
    await cognito.send(
      new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: email, GroupName: "tenant-admin" }),
    );
  } finally {
    dynamodb.destroy();
    cognito.destroy();
  }
  const clientId = context.refs.UserPoolClient as string;
  const tokens = await signIn({ endpoint, region: localRegion, clientId, email, password: BENCH_PASSWORD });
  return tokens.idToken;
}

/** Starts moto, provisions the template and points this process's AWS SDK at it. */
export async function startBenchAws(template: Template): Promise<BenchAws> {
  const moto: MotoServer = await startMoto();
  try {
    const env = localAwsEnv(moto.endpoint);
    Object.assign(process.env, env);
    const context = await provision({
      endpoint: moto.endpoint,
      template,
      stackName: BENCH_STACK_NAME,
      parameters: { Stage: "local" },
    });
    const tokens = new Map<string, Promise<string>>();
    return {
      endpoint: moto.endpoint,
      context,
      env,
      tokenFor(tenantId) {
        let token = tokens.get(tenantId);
        if (!token) {
          token = registerTenant(context, moto.endpoint, tenantId);
          tokens.set(tenantId, token);
        }
        return token;
      },
      stop: () => moto.stop(),
    };
  } catch (error) {
    await moto.stop();
    throw error;
  }
}
