/** Creates the AWS resources of template.yaml in moto and returns what their `Ref`/`GetAtt` resolve to. */

import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  GetApiKeysCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
} from "@aws-sdk/client-api-gateway";
import {
  CognitoIdentityProviderClient,
  ResourceNotFoundException as CognitoNotFound,
  CreateGroupCommand,
  type CreateGroupCommandInput,
  CreateUserPoolClientCommand,
  type CreateUserPoolClientCommandInput,
  CreateUserPoolCommand,
  type CreateUserPoolCommandInput,
  DescribeUserPoolClientCommand,
  GetGroupCommand,
  paginateListUserPoolClients,
  paginateListUserPools,
} from "@aws-sdk/client-cognito-identity-provider";
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceNotFoundException as DynamoDBNotFound,
  type TableDescription,
  UpdateTimeToLiveCommand,
  type UpdateTimeToLiveCommandInput,
} from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import {
  CreatePolicyCommand,
  CreateRoleCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  IAMClient,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { SQSClient } from "@aws-sdk/client-sqs";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { localAccountId, localCredentials, localRegion } from "./aws-env.ts";
import { createEventBus, createQueue, createQueuePolicy, createRule } from "./provision-messaging.ts";
import { type Json, loadTemplate, type ResolveContext, resolve, type Template } from "./template.ts";

export interface ProvisionOptions {
  /** The moto server, e.g. `http://127.0.0.1:5123`. */
  endpoint: string;
  /** Defaults to the repository's template.yaml. */
  template?: Template;
  stackName: string;
  /** Overrides the template's parameter defaults, e.g. `{ Stage: "local" }`. */
  parameters?: Record<string, string>;
}

/**
 * Creates every resource of the template in moto, in dependency order, reusing resources that
 * already exist (so a dev loop can re-provision without a reset; changed properties of an existing
 * resource need `resetMoto` first). Fails before creating anything if a resource type has no creator.
 *
 * @example
 * const context = await provision({ endpoint: moto.endpoint, stackName: "tenantkit-local", parameters: { Stage: "local" } });
 * const env = resolve(functionProperties(template, "ProductsFunction").Environment.Variables, context);
 */
export async function provision(options: ProvisionOptions): Promise<ResolveContext> {
  const template = options.template ?? loadTemplate();
  assertEveryTypeIsSupported(template);
  const context: ResolveContext = {
    parameters: parameterValues(template, options.parameters ?? {}),
    pseudo: pseudoParameters(options.stackName),
    refs: {},
    attributes: {},
    mappings: template.Mappings ?? {},
  };
  const aws = createClients(options.endpoint);
  try {
    for (const logicalId of dependencyOrder(template)) {
      const resource = template.Resources[logicalId] as Template["Resources"][string];
      const create = creators[resource.Type] as ResourceCreator;
      const properties = resolve(resource.Properties ?? {}, context);
      const created = await create({ logicalId, properties, context, aws });
      context.refs[logicalId] = created.ref;
      for (const [name, value] of Object.entries(created.subRefs ?? {})) context.refs[`${logicalId}.${name}`] = value;
      for (const [name, value] of Object.entries(created.attributes ?? {})) {
        context.attributes[`${logicalId}.${name}`] = value;
      }
    }
  } finally {
    aws.dynamodb.destroy();
    aws.cognito.destroy();
    aws.iam.destroy();
    aws.ssm.destroy();
    aws.apigateway.destroy();
    aws.sqs.destroy();
    aws.events.destroy();
  }
  return context;
}

// ---------------------------------------------------------------- creators, one per resource type

interface AwsClients {
  dynamodb: DynamoDBClient;
  cognito: CognitoIdentityProviderClient;
  iam: IAMClient;
  ssm: SSMClient;
  apigateway: APIGatewayClient;
  sqs: SQSClient;
  events: EventBridgeClient;
}

interface CreatorInput {
  logicalId: string;
  /** The resource's properties with every intrinsic function resolved. */
  properties: Json;
  context: ResolveContext;
  aws: AwsClients;
}

interface Created {
  /** What `!Ref LogicalId` gives. */
  ref: string;
  /** What `!GetAtt LogicalId.Name` gives, by name. */
  attributes?: Record<string, string>;
  /** Extra Refs SAM offers, e.g. `{ Stage }` for `!Ref Api.Stage`. */
  subRefs?: Record<string, string>;
}

type ResourceCreator = (input: CreatorInput) => Promise<Created>;

/** To support a new resource type locally, add its creator here. */
const creators: Record<string, ResourceCreator> = {
  "AWS::DynamoDB::Table": createTable,
  "AWS::Cognito::UserPool": createUserPool,
  "AWS::Cognito::UserPoolClient": createUserPoolClient,
  "AWS::Cognito::UserPoolGroup": createUserPoolGroup,
  "AWS::IAM::Role": createRole,
  "AWS::IAM::ManagedPolicy": createManagedPolicy,
  "AWS::SSM::Parameter": createParameter,
  "AWS::ApiGateway::ApiKey": createApiKey,
  "AWS::ApiGateway::UsagePlan": createUsagePlan,
  "AWS::ApiGateway::UsagePlanKey": createUsagePlanKey,
  "AWS::SQS::Queue": createQueue,
  "AWS::SQS::QueuePolicy": createQueuePolicy,
  "AWS::Events::EventBus": createEventBus,
  "AWS::Events::Rule": createRule,
  // Who may invoke a function is API Gateway's and Cognito's business; locally nothing checks it.
  "AWS::Lambda::Permission": async ({ logicalId }) => ({ ref: logicalId }),
  // Lambda and API Gateway are played by the local gateway: only their names are needed here.
  "AWS::Serverless::Function": async ({ logicalId, properties, context }) => {
    const name = properties.FunctionName ?? `${context.pseudo["AWS::StackName"]}-${logicalId}`;
    return { ref: name, attributes: { Arn: `${arnPrefix("lambda", context)}:function:${name}` } };
  },
  "AWS::Serverless::Api": async ({ properties }) => ({ ref: "local", subRefs: { Stage: properties.StageName } }),
  "AWS::Serverless::LayerVersion": async ({ logicalId, properties, context }) => ({
    ref: `${arnPrefix("lambda", context)}:layer:${properties.LayerName ?? logicalId}:1`,
  }),
  // Alarms and their topic watch CloudWatch metrics, which nothing publishes locally: they are
  // recorded (so that what refers to them resolves) and nothing is created.
  "AWS::SNS::Topic": async ({ logicalId, properties, context }) => {
    const name = properties.TopicName ?? `${context.pseudo["AWS::StackName"]}-${logicalId}`;
    const arn = `${arnPrefix("sns", context)}:${name}`;
    return { ref: arn, attributes: { TopicArn: arn, TopicName: name } };
  },
  "AWS::CloudWatch::Alarm": async ({ logicalId, properties, context }) => {
    const name = properties.AlarmName ?? `${context.pseudo["AWS::StackName"]}-${logicalId}`;
    return { ref: name, attributes: { Arn: `${arnPrefix("cloudwatch", context)}:alarm:${name}` } };
  },
};

async function createTable({ properties, context, aws }: CreatorInput): Promise<Created> {
  const input = createTableInput(properties);
  const table = (await describeTable(aws.dynamodb, input.TableName)) ?? (await createNewTable(aws.dynamodb, input));
  const timeToLive = updateTimeToLiveInput(properties);
  if (timeToLive) {
    const current = await aws.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: input.TableName }));
    if (current.TimeToLiveDescription?.TimeToLiveStatus !== "ENABLED") {
      await aws.dynamodb.send(new UpdateTimeToLiveCommand(timeToLive));
    }
  }
  const attributes: Record<string, string> = {
    Arn: table.TableArn ?? `${arnPrefix("dynamodb", context)}:table/${input.TableName}`,
  };
  if (table.LatestStreamArn) attributes.StreamArn = table.LatestStreamArn;
  return { ref: input.TableName as string, attributes };
}

async function describeTable(dynamodb: DynamoDBClient, TableName: string | undefined) {
  try {
    return (await dynamodb.send(new DescribeTableCommand({ TableName }))).Table;
  } catch (error) {
    if (error instanceof DynamoDBNotFound) return undefined;
    throw error;
  }
}

async function createNewTable(dynamodb: DynamoDBClient, input: CreateTableCommandInput): Promise<TableDescription> {
  const { TableDescription } = await dynamodb.send(new CreateTableCommand(input));
  return TableDescription ?? {};
}

async function createUserPool({ properties, context, aws }: CreatorInput): Promise<Created> {
  const input = createUserPoolInput(properties);
  const poolId =
    (await findUserPoolId(aws.cognito, input.PoolName)) ??
    (await aws.cognito.send(new CreateUserPoolCommand(input))).UserPool?.Id;
  if (!poolId) throw new Error(`CreateUserPool returned no id for ${input.PoolName}`);
  const providerName = `cognito-idp.${context.pseudo["AWS::Region"]}.${context.pseudo["AWS::URLSuffix"]}/${poolId}`;
  return {
    ref: poolId,
    attributes: {
      Arn: `${arnPrefix("cognito-idp", context)}:userpool/${poolId}`,
      ProviderName: providerName,
      ProviderURL: `https://${providerName}`,
      UserPoolId: poolId,
    },
  };
}

async function findUserPoolId(cognito: CognitoIdentityProviderClient, name: string | undefined) {
  for await (const page of paginateListUserPools({ client: cognito }, { MaxResults: 60 })) {
    const pool = page.UserPools?.find((p) => p.Name === name);
    if (pool) return pool.Id;
  }
  return undefined;
}

async function createUserPoolClient({ properties, aws }: CreatorInput): Promise<Created> {
  const input = createUserPoolClientInput(properties);
  const client =
    (await findUserPoolClient(aws.cognito, input.UserPoolId, input.ClientName)) ??
    (await aws.cognito.send(new CreateUserPoolClientCommand(input))).UserPoolClient;
  if (!client?.ClientId) throw new Error(`CreateUserPoolClient returned no id for ${input.ClientName}`);
  const attributes: Record<string, string> = { Name: client.ClientName ?? "" };
  if (client.ClientSecret) attributes.ClientSecret = client.ClientSecret;
  return { ref: client.ClientId, attributes };
}

async function findUserPoolClient(cognito: CognitoIdentityProviderClient, UserPoolId?: string, name?: string) {
  const paginator = paginateListUserPoolClients({ client: cognito }, { UserPoolId, MaxResults: 60 });
  for await (const page of paginator) {
    const summary = page.UserPoolClients?.find((c) => c.ClientName === name);
    if (summary) {
      const { ClientId } = summary;
      return (await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId, ClientId }))).UserPoolClient;
    }
  }
  return undefined;
}

async function createUserPoolGroup({ logicalId, properties, context, aws }: CreatorInput): Promise<Created> {
  const input = createGroupInput(properties, `${context.pseudo["AWS::StackName"]}-${logicalId}`);
  try {
    await aws.cognito.send(new GetGroupCommand({ UserPoolId: input.UserPoolId, GroupName: input.GroupName }));
  } catch (error) {
    if (!(error instanceof CognitoNotFound)) throw error;
    await aws.cognito.send(new CreateGroupCommand(input));
  }
  return { ref: input.GroupName };
}

// TODO(iam): create the role in moto IAM once @aws-sdk/client-iam is a dependency
// (GetRole, else CreateRole + PutRolePolicy per inline policy). Nothing local enforces IAM yet,
// so the names are all the local stack needs today.
/** Creates the role in moto's IAM with its trust policy and inline policies (moto stores but does not enforce them). */
async function createRole({ logicalId, properties, context, aws }: CreatorInput): Promise<Created> {
  const name = properties.RoleName ?? `${context.pseudo["AWS::StackName"]}-${logicalId}`;
  const path = properties.Path ?? "/";
  const existing = await aws.iam.send(new GetRoleCommand({ RoleName: name })).catch((error: unknown) => {
    if (error instanceof NoSuchEntityException) return undefined;
    throw error;
  });
  const arn =
    existing?.Role?.Arn ??
    (
      await aws.iam.send(
        new CreateRoleCommand({
          RoleName: name,
          Path: path,
          AssumeRolePolicyDocument: JSON.stringify(properties.AssumeRolePolicyDocument),
        }),
      )
    ).Role?.Arn ??
    `${arnPrefix("iam", context, "")}:role${path}${name}`;
  for (const policy of properties.Policies ?? []) {
    await aws.iam.send(
      new PutRolePolicyCommand({
        RoleName: name,
        PolicyName: policy.PolicyName,
        PolicyDocument: JSON.stringify(policy.PolicyDocument),
      }),
    );
  }
  return { ref: name, attributes: { Arn: arn } };
}

/** A managed policy: its Ref is its ARN. Created in moto's IAM so that functions' policies resolve. */
async function createManagedPolicy({ logicalId, properties, context, aws }: CreatorInput): Promise<Created> {
  const name = properties.ManagedPolicyName ?? `${context.pseudo["AWS::StackName"]}-${logicalId}`;
  const arn = `${arnPrefix("iam", context, "")}:policy/${name}`;
  await aws.iam
    .send(new CreatePolicyCommand({ PolicyName: name, PolicyDocument: JSON.stringify(properties.PolicyDocument) }))
    .catch((error: unknown) => {
      if (!(error instanceof EntityAlreadyExistsException)) throw error;
    });
  return { ref: arn };
}

/** Usage-plan API keys live in moto's API Gateway: the local gateway enforces the plans they belong to. */
async function createApiKey({ logicalId, properties, context, aws }: CreatorInput): Promise<Created> {
  const name = properties.Name ?? `${context.pseudo["AWS::StackName"]}-${logicalId}`;
  const { items = [] } = await aws.apigateway.send(new GetApiKeysCommand({ nameQuery: name, includeValues: true }));
  const key =
    items.find((k) => k.name === name) ??
    (await aws.apigateway.send(
      new CreateApiKeyCommand({ name, value: properties.Value, enabled: properties.Enabled ?? true }),
    ));
  return { ref: key.id as string, attributes: { APIKeyId: key.id as string } };
}

async function createUsagePlan({ logicalId, properties, context, aws }: CreatorInput): Promise<Created> {
  const name = properties.UsagePlanName ?? `${context.pseudo["AWS::StackName"]}-${logicalId}`;
  const { items = [] } = await aws.apigateway.send(new GetUsagePlansCommand({}));
  const plan =
    items.find((p) => p.name === name) ??
    (await aws.apigateway.send(
      new CreateUsagePlanCommand({
        name,
        description: properties.Description,
        apiStages: (properties.ApiStages ?? []).map((s: Json) => ({ apiId: s.ApiId, stage: s.Stage })),
        throttle: properties.Throttle && {
          rateLimit: Number(properties.Throttle.RateLimit),
          burstLimit: Number(properties.Throttle.BurstLimit),
        },
        quota: properties.Quota && { limit: Number(properties.Quota.Limit), period: properties.Quota.Period },
      }),
    ));
  return { ref: plan.id as string };
}

async function createUsagePlanKey({ properties, aws }: CreatorInput): Promise<Created> {
  const { items = [] } = await aws.apigateway.send(
    new GetUsagePlanKeysCommand({ usagePlanId: properties.UsagePlanId }),
  );
  if (!items.some((k) => k.id === properties.KeyId)) {
    await aws.apigateway.send(
      new CreateUsagePlanKeyCommand({
        usagePlanId: properties.UsagePlanId,
        keyId: properties.KeyId,
        keyType: properties.KeyType,
      }),
    );
  }
  return { ref: `${properties.UsagePlanId}:${properties.KeyId}` };
}

async function createParameter({ properties, aws }: CreatorInput): Promise<Created> {
  await aws.ssm.send(
    new PutParameterCommand({
      Name: properties.Name,
      Type: properties.Type ?? "String",
      Value: properties.Value,
      Overwrite: true,
    }),
  );
  return { ref: properties.Name, attributes: { Type: properties.Type ?? "String", Value: properties.Value } };
}

function arnPrefix(service: string, context: ResolveContext, region = context.pseudo["AWS::Region"]): string {
  return `arn:${context.pseudo["AWS::Partition"]}:${service}:${region}:${context.pseudo["AWS::AccountId"]}`;
}

function createClients(endpoint: string): AwsClients {
  const config = { endpoint, region: localRegion, credentials: localCredentials };
  return {
    dynamodb: new DynamoDBClient(config),
    cognito: new CognitoIdentityProviderClient(config),
    iam: new IAMClient(config),
    ssm: new SSMClient(config),
    apigateway: new APIGatewayClient(config),
    sqs: new SQSClient(config),
    events: new EventBridgeClient(config),
  };
}

// ---------------------------------------------------------------- CloudFormation properties -> API input

/** Keeps the listed keys that are present, so only properties the API knows are sent. */
function pick(properties: Json, keys: readonly string[]): Json {
  return Object.fromEntries(keys.filter((key) => properties[key] !== undefined).map((key) => [key, properties[key]]));
}

/**
 * `AWS::DynamoDB::Table` -> CreateTable. Settings that only matter in AWS (point-in-time recovery,
 * encryption, contributor insights, deletion protection, tags) are left out.
 */
export function createTableInput(properties: Json): CreateTableCommandInput {
  const input: Json = pick(properties, [
    "TableName",
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "ProvisionedThroughput",
    "LocalSecondaryIndexes",
  ]);
  if (properties.GlobalSecondaryIndexes) {
    input.GlobalSecondaryIndexes = properties.GlobalSecondaryIndexes.map((index: Json) =>
      pick(index, ["IndexName", "KeySchema", "Projection", "ProvisionedThroughput", "OnDemandThroughput"]),
    );
  }
  // CloudFormation has only the view type; the API also wants the stream switched on.
  if (properties.StreamSpecification?.StreamViewType) {
    input.StreamSpecification = { StreamEnabled: true, StreamViewType: properties.StreamSpecification.StreamViewType };
  }
  return input;
}

/** `TimeToLiveSpecification` of a table -> UpdateTimeToLive, when it turns TTL on. */
export function updateTimeToLiveInput(properties: Json): UpdateTimeToLiveCommandInput | undefined {
  const spec = properties.TimeToLiveSpecification;
  if (!spec?.Enabled) return undefined;
  return {
    TableName: properties.TableName,
    TimeToLiveSpecification: { AttributeName: spec.AttributeName, Enabled: true },
  };
}

const userPoolKeys = [
  "Policies",
  "DeletionProtection",
  "LambdaConfig",
  "AutoVerifiedAttributes",
  "AliasAttributes",
  "UsernameAttributes",
  "SmsVerificationMessage",
  "EmailVerificationMessage",
  "EmailVerificationSubject",
  "VerificationMessageTemplate",
  "SmsAuthenticationMessage",
  "MfaConfiguration",
  "UserAttributeUpdateSettings",
  "DeviceConfiguration",
  "EmailConfiguration",
  "SmsConfiguration",
  "UserPoolTags",
  "AdminCreateUserConfig",
  "UserPoolAddOns",
  "UsernameConfiguration",
  "AccountRecoverySetting",
  "UserPoolTier",
] as const;

/**
 * `AWS::Cognito::UserPool` -> CreateUserPool. Schema entries are sent by their bare name
 * (`tenantId`); Cognito itself names custom attributes `custom:tenantId`.
 */
export function createUserPoolInput(properties: Json): CreateUserPoolCommandInput {
  const input: Json = { PoolName: properties.UserPoolName, ...pick(properties, userPoolKeys) };
  if (properties.Schema) input.Schema = properties.Schema.map(schemaAttribute);
  return input;
}

/** CloudFormation accepts numbers for the length/value constraints; the API takes strings. */
function schemaAttribute(attribute: Json): Json {
  const stringify = (constraints: Json) =>
    constraints && Object.fromEntries(Object.entries(constraints).map(([k, v]) => [k, String(v)]));
  const result = { ...attribute };
  if (attribute.StringAttributeConstraints) {
    result.StringAttributeConstraints = stringify(attribute.StringAttributeConstraints);
  }
  if (attribute.NumberAttributeConstraints) {
    result.NumberAttributeConstraints = stringify(attribute.NumberAttributeConstraints);
  }
  return result;
}

const userPoolClientKeys = [
  "UserPoolId",
  "ClientName",
  "GenerateSecret",
  "RefreshTokenValidity",
  "AccessTokenValidity",
  "IdTokenValidity",
  "TokenValidityUnits",
  "ReadAttributes",
  "WriteAttributes",
  "ExplicitAuthFlows",
  "SupportedIdentityProviders",
  "CallbackURLs",
  "LogoutURLs",
  "DefaultRedirectURI",
  "AllowedOAuthFlows",
  "AllowedOAuthScopes",
  "AllowedOAuthFlowsUserPoolClient",
  "AnalyticsConfiguration",
  "PreventUserExistenceErrors",
  "EnableTokenRevocation",
  "EnablePropagateAdditionalUserContextData",
  "AuthSessionValidity",
  "RefreshTokenRotation",
] as const;

/** `AWS::Cognito::UserPoolClient` -> CreateUserPoolClient (the property names are the API's). */
export function createUserPoolClientInput(properties: Json): CreateUserPoolClientCommandInput {
  return pick(properties, userPoolClientKeys);
}

/** `AWS::Cognito::UserPoolGroup` -> CreateGroup; `defaultName` stands in for CloudFormation's generated name. */
export function createGroupInput(
  properties: Json,
  defaultName: string,
): CreateGroupCommandInput & { GroupName: string } {
  return {
    GroupName: properties.GroupName ?? defaultName,
    ...pick(properties, ["UserPoolId", "Description", "Precedence", "RoleArn"]),
  };
}

// ---------------------------------------------------------------- parameters and ordering

/** The template's parameter defaults with `overrides` applied; every parameter must end up with a value. */
export function parameterValues(template: Template, overrides: Record<string, string>): Record<string, string> {
  const declared: Record<string, { Default?: unknown; AllowedValues?: unknown[] }> = template.Parameters ?? {};
  for (const name of Object.keys(overrides)) {
    if (!(name in declared)) throw new Error(`template.yaml has no parameter ${name}`);
  }
  return Object.fromEntries(
    Object.entries(declared).map(([name, parameter]) => {
      const value = overrides[name] ?? parameter.Default;
      if (value === undefined) throw new Error(`template.yaml parameter ${name} has no default; pass a value`);
      if (parameter.AllowedValues && !parameter.AllowedValues.map(String).includes(String(value))) {
        throw new Error(
          `template.yaml parameter ${name}: ${value} is not one of ${parameter.AllowedValues.join(", ")}`,
        );
      }
      return [name, String(value)];
    }),
  );
}

export function pseudoParameters(stackName: string): Record<string, string> {
  return {
    "AWS::StackName": stackName,
    "AWS::Region": localRegion,
    "AWS::AccountId": localAccountId,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
  };
}

function assertEveryTypeIsSupported(template: Template): void {
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (!(resource.Type in creators)) {
      throw new Error(
        `${logicalId}: resource type ${resource.Type} is not supported by the local stack; add a creator to tools/local/provision.ts`,
      );
    }
  }
}

/** Logical ids ordered so that each resource comes after those it references (`Ref`, `GetAtt`, `Sub`, `DependsOn`). */
export function dependencyOrder(template: Template): string[] {
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (logicalId: string, path: string[]) => {
    if (state.get(logicalId) === "done") return;
    if (state.get(logicalId) === "visiting") {
      throw new Error(`template.yaml: circular dependency ${[...path, logicalId].join(" -> ")}`);
    }
    state.set(logicalId, "visiting");
    for (const dependency of dependenciesOf(template, logicalId)) visit(dependency, [...path, logicalId]);
    state.set(logicalId, "done");
    order.push(logicalId);
  };
  for (const logicalId of Object.keys(template.Resources)) visit(logicalId, []);
  return order;
}

function dependenciesOf(template: Template, logicalId: string): string[] {
  const resource: Json = template.Resources[logicalId];
  const names = new Set<string>([resource.DependsOn ?? []].flat());
  const walk = (value: Json): void => {
    if (value === null || typeof value !== "object") return;
    if (Array.isArray(value)) {
      for (const item of value) walk(item);
      return;
    }
    for (const [key, arg] of Object.entries<Json>(value)) {
      if (key === "Ref") {
        names.add(String(arg).split(".")[0] as string); // `Api.Stage` depends on Api
      } else if (key === "Fn::GetAtt") {
        names.add(Array.isArray(arg) ? arg[0] : String(arg).split(".")[0]);
      } else if (key === "Fn::Sub") {
        const [pattern, variables = {}] = Array.isArray(arg) ? arg : [arg];
        for (const [, name] of String(pattern).matchAll(/\$\{([^}!][^}]*)\}/g)) {
          const referenced = String(name).split(".")[0] as string;
          if (!(referenced in variables)) names.add(referenced);
        }
        walk(variables);
      } else {
        walk(arg);
      }
    }
  };
  walk(resource.Properties);
  return [...names].filter((name) => name in template.Resources && name !== logicalId);
}
