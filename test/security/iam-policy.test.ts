/**
 * Tenant isolation in IAM, read from template.yaml: the tenant data role (assumed with session tag
 * TenantId, see tenant-credentials.ts) reaches only the tenant's own items, secrets and parameters,
 * and only the services' roles can assume it. Also the Cognito trigger that puts the tenant claim in tokens.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation and IAM placeholders, compared literally
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createDynamoDbSiloTables } from "../../functions/tenants/adapters/dynamodb-silo-tables.ts";
import { DATA_TABLE_VARIABLES } from "../../functions/tenants/control-plane.ts";
import { REVOKED_TOKENS_ATTRIBUTE } from "../../layers/tenant-context/src/auth/token-revocations.ts";
import { type Json, loadTemplate } from "../../tools/local/template.ts";

const TENANT_TAG = "${aws:PrincipalTag/TenantId}";
/** How a literal `${...}` is written inside `!Sub`. */
const TENANT_TAG_IN_SUB = "${!aws:PrincipalTag/TenantId}";

const { Resources: resources, Globals: globals } = loadTemplate();
const role = resources.TenantDataRole?.Properties;
const statements: Json[] = role.Policies.flatMap((policy: Json) => policy.PolicyDocument.Statement);
const actionsOf = (statement: Json): string[] => [statement.Action].flat();
/** The one statement revoking tokens writes with; every other statement is about the tenant's data. */
const REVOCATIONS_SID = "OwnTokenRevocationsOnly";
const statementFor = (service: string) => {
  const found = statements.filter(
    (s) => s.Sid !== REVOCATIONS_SID && actionsOf(s).some((action) => action.startsWith(`${service}:`)),
  );
  expect(found).toHaveLength(1);
  return found[0];
};
const ids = (type: string) => Object.keys(resources).filter((id) => resources[id]?.Type === type);

/** Tables whose partition key is the tenant id, less the tenant registry (the services read it with their own role). */
function tenantTables(): string[] {
  const registry = globals?.Function.Environment.Variables.TENANTS_TABLE.Ref;
  expect(ids("AWS::DynamoDB::Table")).toContain(registry);
  return ids("AWS::DynamoDB::Table").filter(
    (id) =>
      id !== registry &&
      resources[id]?.Properties.KeySchema.some(
        (key: Json) => key.KeyType === "HASH" && key.AttributeName === "tenantId",
      ),
  );
}

describe("tenant data role", () => {
  it("has one statement each for DynamoDB, Secrets Manager and SSM, one for revoking tokens, and nothing else", () => {
    const services = statements.map((s) => [...new Set(actionsOf(s).map((action) => action.split(":")[0]))]);
    expect(services.sort()).toEqual([["dynamodb"], ["dynamodb"], ["secretsmanager"], ["ssm"]]);
    expect(statements.every((s) => s.Effect === "Allow" && !s.NotAction && !s.NotResource)).toBe(true);
  });

  it("allows DynamoDB item operations only on items whose leading key is the session's TenantId tag", () => {
    const dynamodb = statementFor("dynamodb");
    expect(dynamodb.Condition).toEqual({ "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": [TENANT_TAG] } });
    for (const action of actionsOf(dynamodb)) {
      expect(action).toMatch(
        /^dynamodb:(?:GetItem|BatchGetItem|Query|PutItem|UpdateItem|DeleteItem|BatchWriteItem|ConditionCheckItem)$/,
      );
    }
  });

  it("covers exactly the pooled tables keyed by tenantId, plus the session's own dedicated tables by their whole names", () => {
    const resourcesOf: Json[] = statementFor("dynamodb").Resource;
    const tables = resourcesOf.flatMap((r) => (r["Fn::GetAtt"]?.[1] === "Arn" ? [r["Fn::GetAtt"][0]] : []));
    expect(tenantTables().length).toBeGreaterThan(3);
    expect(tables.sort()).toEqual(tenantTables().sort());
    // The names the control plane gives a tenant's dedicated tables, for the session's own tenant.
    const pooled = Object.fromEntries(Object.keys(DATA_TABLE_VARIABLES).map((name) => [name, name]));
    const siloNames = createDynamoDbSiloTables({ pooledTables: pooled, prefix: "${AWS::StackName}" }).namesFor(
      TENANT_TAG_IN_SUB,
    );
    expect(resourcesOf.filter((r) => !r["Fn::GetAtt"])).toEqual(
      Object.values(siloNames).map((table) => ({
        "Fn::Sub": `arn:\${AWS::Partition}:dynamodb:\${AWS::Region}:\${AWS::AccountId}:table/${table}`,
      })),
    );
  });

  it("lets revoking tokens change one attribute of the tenant's own registry record, returning nothing", () => {
    const registry = globals?.Function.Environment.Variables.TENANTS_TABLE.Ref;
    expect(statements.find((s) => s.Sid === REVOCATIONS_SID)).toEqual({
      Sid: REVOCATIONS_SID,
      Effect: "Allow",
      Action: "dynamodb:UpdateItem",
      Resource: { "Fn::GetAtt": [registry, "Arn"] },
      Condition: {
        "ForAllValues:StringEquals": {
          "dynamodb:LeadingKeys": [TENANT_TAG],
          "dynamodb:Attributes": ["tenantId", REVOKED_TOKENS_ATTRIBUTE],
        },
        StringEqualsIfExists: { "dynamodb:ReturnValues": "NONE" },
      },
    });
  });

  it.each([
    ["secretsmanager", ":secret:/${Stage}/tenants/"],
    ["ssm", ":parameter/${Stage}/tenants/"],
  ])("limits %s to the tenant's own path", (service, prefix) => {
    const statement = statementFor(service);
    expect(statement.Condition).toBeUndefined();
    const resource = statement.Resource["Fn::Sub"];
    expect(typeof resource).toBe("string");
    expect(resource.endsWith(`${prefix}${TENANT_TAG_IN_SUB}/*`)).toBe(true);
    expect(resource.split("*")).toHaveLength(2);
  });

  it("trusts only this stack's roles, asking for a non-empty TenantId session tag", () => {
    const [trust, ...others] = role.AssumeRolePolicyDocument.Statement;
    expect(others).toEqual([]);
    expect(trust).toEqual({
      Effect: "Allow",
      Principal: { AWS: { "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root" } },
      Action: expect.anything(),
      Condition: {
        ArnLike: {
          "aws:PrincipalArn": { "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${AWS::StackName}-*" },
        },
        // a stack named "<this>-staging" has roles matching the prefix too, but not this stack's tag
        StringEquals: { "aws:PrincipalTag/tenantkit:stack": { Ref: "AWS::StackName" } },
        StringLike: { "aws:RequestTag/TenantId": "?*" },
      },
    });
    expect(actionsOf(trust).sort()).toEqual(["sts:AssumeRole", "sts:TagSession"]);
  });

  it("every function's role carries the stack tag the trust policy asks for (SAM tags the generated role)", () => {
    expect(globals?.Function.Tags).toEqual({ "tenantkit:stack": { Ref: "AWS::StackName" } });
    for (const id of ids("AWS::Serverless::Function")) {
      expect({ id, tag: resources[id]?.Properties.Tags?.["tenantkit:stack"] }).toEqual({ id, tag: undefined });
    }
  });

  it("is the only way to tenant data: no function's own role names a table keyed by tenant id (but the outbox sweeper, across tenants by design)", () => {
    const tables = tenantTables();
    expect(tables).toContain("IdempotencyTable");
    const names = (document: Json) => {
      const text = JSON.stringify(document);
      return tables.filter((id) =>
        [`"Ref":"${id}"`, `"Fn::GetAtt":["${id}"`, `\${${id}.`].some((form) => text.includes(form)),
      );
    };
    const reached = [
      ...ids("AWS::Serverless::Function").flatMap((id) =>
        names(resources[id]?.Properties.Policies ?? []).map((table) => `${id} -> ${table}`),
      ),
      ...ids("AWS::IAM::ManagedPolicy").flatMap((id) =>
        names(resources[id]?.Properties.PolicyDocument).map((table) => `${id} -> ${table}`),
      ),
    ];
    // The sweeper publishes what any tenant's requests staged: it reads the outbox's index of pending events.
    expect(reached).toEqual(["OutboxSweeperFunction -> OutboxTable"]);
  });

  it("is assumable, with sts:TagSession, by every function serving the API or tenant events", () => {
    const assume = resources.TenantServicePolicy?.Properties.PolicyDocument.Statement.find(
      (s: Json) => s.Sid === "AssumeTenantDataRole",
    );
    expect(actionsOf(assume).sort()).toEqual(["sts:AssumeRole", "sts:TagSession"]);
    expect(assume.Resource["Fn::Sub"]).toBe(
      `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${role.RoleName["Fn::Sub"]}`,
    );
    const tenantFacing = ids("AWS::Serverless::Function").filter((id) =>
      Object.values<Json>(resources[id]?.Properties.Events ?? {}).some((event) => ["Api", "SQS"].includes(event.Type)),
    );
    expect(tenantFacing.length).toBeGreaterThan(5);
    for (const id of tenantFacing) {
      const fn = resources[id]?.Properties;
      expect({ id, role: fn.Role, policies: fn.Policies }).toMatchObject({
        id,
        role: undefined,
        policies: expect.arrayContaining([{ Ref: "TenantServicePolicy" }]),
      });
    }
  });
});

describe("event publishers", () => {
  /** Every statement of a function's own policies and of the managed policies that allows PutEvents. */
  const putEvents = [
    ...ids("AWS::Serverless::Function").flatMap((id) =>
      (resources[id]?.Properties.Policies ?? []).flatMap((policy: Json) =>
        "EventBridgePutEventsPolicy" in policy ? [[id, policy]] : (policy.Statement ?? []).map((s: Json) => [id, s]),
      ),
    ),
    ...ids("AWS::IAM::ManagedPolicy").flatMap((id) =>
      resources[id]?.Properties.PolicyDocument.Statement.map((s: Json) => [id, s]),
    ),
  ].filter(
    ([, statement]) => "EventBridgePutEventsPolicy" in statement || actionsOf(statement).includes("events:PutEvents"),
  );

  it("may each publish only as their own service (events:source), since the audit consumer trusts the source", () => {
    expect(putEvents.map(([id]) => id).sort()).toEqual(["OnboardingPolicy", "OrdersFunction", "OutboxSweeperFunction"]);
    const sources = Object.fromEntries(
      putEvents.map(([id, statement]) => [id, [statement.Condition?.StringEquals?.["events:source"]].flat()]),
    );
    expect(sources).toEqual({
      OnboardingPolicy: ["tenantkit.tenants"],
      OrdersFunction: ["tenantkit.orders"],
      OutboxSweeperFunction: ["tenantkit.orders"],
    });
  });
});

describe("the control plane's policies", () => {
  it("allows TagResource wherever the control plane creates a resource with Tags (AWS asks for both)", () => {
    const adapters = new URL("../../functions/tenants/adapters/", import.meta.url);
    const tagging = readdirSync(adapters)
      .filter((file) => !file.includes(".test."))
      .map((file) => readFileSync(new URL(file, adapters), "utf8"))
      .filter((source) => /\bTags: \[/.test(source))
      .map((source) => /@aws-sdk\/client-([a-z-]+)/.exec(source)?.[1]?.replaceAll("-", ""));
    expect(tagging.sort()).toEqual(["dynamodb", "secretsmanager"]);
    for (const service of tagging) expect(allowedActionsOf("TenantsFunction")).toContain(`${service}:TagResource`);
  });
});

/** Every statement a function's role holds: its managed policies' (by `!Ref`) and its inline ones. */
function statementsOf(functionId: string): Json[] {
  return (resources[functionId]?.Properties.Policies ?? []).flatMap((policy: Json) => {
    if (policy.Ref) return resources[policy.Ref]?.Properties.PolicyDocument.Statement;
    if (policy.Statement) return policy.Statement;
    throw new Error(`${functionId}: a policy this test cannot read: ${JSON.stringify(policy)}`);
  });
}
const allowedActionsOf = (functionId: string) =>
  [...new Set(statementsOf(functionId).flatMap(actionsOf))].sort((a, b) => a.localeCompare(b));

describe("least privilege", () => {
  it("the authorizer reads the registry and global configuration, and cannot become a tenant", () => {
    expect(allowedActionsOf("AuthorizerFunction")).toEqual([
      "dynamodb:GetItem",
      "ssm:GetParameter",
      "ssm:GetParameters",
      "ssm:GetParametersByPath",
    ]);
  });

  it("the public sign-up holds what a self-service onboarding and its undo do, and nothing of the operator's", () => {
    // No dedicated tables, no usage key of its own (registrations are basic, standard or premium),
    // no reading or listing of tenants, no signing users out.
    expect(allowedActionsOf("RegistrationsFunction")).toEqual([
      "cognito-idp:AdminAddUserToGroup",
      "cognito-idp:AdminCreateUser",
      "cognito-idp:AdminDeleteUser",
      "cognito-idp:AdminGetUser",
      "dynamodb:DeleteItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "events:PutEvents",
      "secretsmanager:CreateSecret",
      "secretsmanager:DeleteSecret",
      "secretsmanager:TagResource",
      "sts:AssumeRole",
      "sts:TagSession",
    ]);
    const recordWrites = statementsOf("RegistrationsFunction").filter((s) => actionsOf(s).includes("dynamodb:PutItem"));
    expect(recordWrites.map((s) => s.Resource)).toEqual([{ "Fn::GetAtt": ["TenantsTable", "Arn"] }]);
  });

  it("grants nothing the deployed code never calls: setting passwords (the local seed does), describing secrets, signing users out but for the users service", () => {
    const functions = ids("AWS::Serverless::Function");
    const granted = [...functions.flatMap(allowedActionsOf), ...statements.flatMap(actionsOf)];
    expect(granted).not.toContain("cognito-idp:AdminSetUserPassword");
    expect(granted).not.toContain("secretsmanager:DescribeSecret");
    // Only disabling a user (PATCH /users/{id}) signs it out; offboarding deletes users instead.
    expect(functions.filter((id) => allowedActionsOf(id).includes("cognito-idp:AdminUserGlobalSignOut"))).toEqual([
      "UsersFunction",
    ]);
  });
});

describe("Cognito pre-token-generation trigger", () => {
  const [poolId] = ids("AWS::Cognito::UserPool");
  const lambdaConfig = resources[poolId as string]?.Properties.LambdaConfig;
  const [functionId] = lambdaConfig.PreTokenGenerationConfig.LambdaArn["Fn::GetAtt"];

  it("is the V2 trigger (claims in access tokens), pointing at the pre-token-generation function", () => {
    expect(lambdaConfig.PreTokenGenerationConfig).toEqual({
      LambdaArn: { "Fn::GetAtt": [functionId, "Arn"] },
      LambdaVersion: "V2_0",
    });
    expect(lambdaConfig.PreTokenGeneration).toBeUndefined();
    expect(resources[functionId]?.Type).toBe("AWS::Serverless::Function");
    expect(resources[functionId]?.Properties.CodeUri).toBe("functions/pre-token-generation");
  });

  it("may be invoked by this user pool through cognito-idp", () => {
    const permissions = ids("AWS::Lambda::Permission").map((id) => resources[id]?.Properties);
    expect(permissions).toContainEqual({
      Action: "lambda:InvokeFunction",
      FunctionName: { "Fn::GetAtt": [functionId, "Arn"] },
      Principal: "cognito-idp.amazonaws.com",
      SourceArn: { "Fn::GetAtt": [poolId, "Arn"] },
    });
  });
});
