import { describe, expect, it } from "vitest";
import {
  createGroupInput,
  createTableInput,
  createUserPoolClientInput,
  createUserPoolInput,
  dependencyOrder,
  parameterValues,
  updateTimeToLiveInput,
} from "./provision.ts";
import { loadTemplate, parseTemplate } from "./template.ts";

describe("createTableInput", () => {
  it("keeps the key schema and indexes and switches on the stream CloudFormation only names", () => {
    const properties = {
      TableName: "orders",
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "tenantId", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "tenantId", KeyType: "HASH" }],
      GlobalSecondaryIndexes: [
        {
          IndexName: "byStatus",
          KeySchema: [{ AttributeName: "tenantId", KeyType: "HASH" }],
          Projection: { ProjectionType: "ALL" },
          ContributorInsightsSpecification: { Enabled: true },
        },
      ],
      StreamSpecification: { StreamViewType: "NEW_IMAGE" },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    };

    const input = createTableInput(properties);

    expect(input).toEqual({
      TableName: "orders",
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: properties.AttributeDefinitions,
      KeySchema: properties.KeySchema,
      GlobalSecondaryIndexes: [
        { IndexName: "byStatus", KeySchema: properties.KeySchema, Projection: { ProjectionType: "ALL" } },
      ],
      StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_IMAGE" },
    });
  });

  it("turns a time-to-live specification into UpdateTimeToLive, and none into nothing", () => {
    const properties = {
      TableName: "idempotency",
      TimeToLiveSpecification: { AttributeName: "expiration", Enabled: true },
    };

    expect(updateTimeToLiveInput(properties)).toEqual({
      TableName: "idempotency",
      TimeToLiveSpecification: { AttributeName: "expiration", Enabled: true },
    });
    expect(updateTimeToLiveInput({ TableName: "tenants" })).toBeUndefined();
  });
});

describe("createUserPoolInput", () => {
  it("renames UserPoolName to PoolName and sends constraints as strings", () => {
    const properties = {
      UserPoolName: "users",
      UsernameAttributes: ["email"],
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Schema: [
        {
          Name: "tenantId",
          AttributeDataType: "String",
          Mutable: false,
          StringAttributeConstraints: { MaxLength: 64 },
        },
      ],
      EnabledMfas: ["SOFTWARE_TOKEN_MFA"],
    };

    const input = createUserPoolInput(properties);

    expect(input).toEqual({
      PoolName: "users",
      UsernameAttributes: ["email"],
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Schema: [
        {
          Name: "tenantId",
          AttributeDataType: "String",
          Mutable: false,
          StringAttributeConstraints: { MaxLength: "64" },
        },
      ],
    });
  });
});

describe("createUserPoolClientInput and createGroupInput", () => {
  it("passes the client properties the API knows", () => {
    const properties = {
      UserPoolId: "us-east-1_x",
      ClientName: "app",
      ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH"],
      IdTokenValidity: 60,
      TokenValidityUnits: { IdToken: "minutes" },
    };

    expect(createUserPoolClientInput(properties)).toEqual(properties);
  });

  it("names a group after the stack and logical id when the template gives no name", () => {
    expect(createGroupInput({ UserPoolId: "us-east-1_x" }, "stack-AdminGroup")).toEqual({
      UserPoolId: "us-east-1_x",
      GroupName: "stack-AdminGroup",
    });
  });
});

describe("parameterValues", () => {
  const template = loadTemplate();

  it("applies overrides to the template's defaults, as strings", () => {
    expect(parameterValues(template, { Stage: "local" })).toEqual({
      Stage: "local",
      LogLevel: "INFO",
      AuthorizerCacheSeconds: "30",
      TenantRegistryCacheSeconds: "30",
      AdmittedWorkSeconds: "30",
    });
  });

  it("rejects an unknown parameter and a value outside AllowedValues", () => {
    expect(() => parameterValues(template, { Stgae: "local" })).toThrow("no parameter Stgae");
    expect(() => parameterValues(template, { Stage: "qa" })).toThrow("Stage: qa is not one of");
  });
});

describe("dependencyOrder", () => {
  it("puts every resource after the resources it references", () => {
    const order = dependencyOrder(loadTemplate());

    expect(order.indexOf("UserPool")).toBeLessThan(order.indexOf("UserPoolClient"));
    expect(order.indexOf("UserPool")).toBeLessThan(order.indexOf("TenantAdminGroup"));
    expect(order.indexOf("ProductsTable")).toBeLessThan(order.indexOf("TenantDataRole"));
    expect(order.indexOf("AuthorizerFunction")).toBeLessThan(order.indexOf("Api"));
  });

  it("follows Sub references and DependsOn, and reports a cycle", () => {
    const template = parseTemplate(`
Resources:
  A: { Type: T, Properties: { Name: !Sub "\${B.Arn}-\${Local}" } }
  B: { Type: T, DependsOn: C }
  C: { Type: T }
  D: { Type: T, Properties: { X: !Ref E } }
  E: { Type: T, Properties: { X: !GetAtt D.Arn } }
`);
    const { D, E, ...acyclic } = template.Resources;

    expect(dependencyOrder({ Resources: acyclic })).toEqual(["C", "B", "A"]);
    expect(() => dependencyOrder(template)).toThrow("circular dependency D -> E -> D");
  });
});
