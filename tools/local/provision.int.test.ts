import {
  CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  ListGroupsCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, describe, expect, inject, it } from "vitest";
import { testStackName } from "../../test/setup/moto.ts";
import { provision } from "./provision.ts";
import { functionProperties, loadTemplate, resolve } from "./template.ts";

const { endpoint, context } = inject("localAws");
const template = loadTemplate();
// Clients configure themselves from the AWS_* variables the globalSetup exported.
const dynamodb = new DynamoDBClient();
const cognito = new CognitoIdentityProviderClient();

afterAll(() => {
  dynamodb.destroy();
  cognito.destroy();
});

describe("provision", () => {
  it("creates every table with the key schema of the template", async () => {
    for (const logicalId of ["TenantsTable", "ProductsTable"]) {
      const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: context.refs[logicalId] }));

      expect(Table?.TableName).toBe(`${testStackName}-${logicalId === "TenantsTable" ? "tenants" : "products"}`);
      expect(Table?.KeySchema).toEqual(template.Resources[logicalId]?.Properties.KeySchema);
      expect(context.attributes[`${logicalId}.Arn`]).toBe(Table?.TableArn);
    }
  });

  it("creates the user pool with an immutable custom:tenantId attribute", async () => {
    const { UserPool } = await cognito.send(new DescribeUserPoolCommand({ UserPoolId: context.refs.UserPool }));

    expect(UserPool?.Name).toBe(`${testStackName}-users`);
    expect(UserPool?.SchemaAttributes).toContainEqual(
      expect.objectContaining({ Name: "custom:tenantId", Mutable: false, AttributeDataType: "String" }),
    );
    expect(UserPool?.UsernameAttributes).toEqual(["email"]);
    expect(context.attributes["UserPool.ProviderURL"]).toBe(
      `https://cognito-idp.us-east-1.amazonaws.com/${context.refs.UserPool}`,
    );
  });

  it("creates the app client with the template's auth flows and attributes", async () => {
    const { UserPoolClient } = await cognito.send(
      new DescribeUserPoolClientCommand({ UserPoolId: context.refs.UserPool, ClientId: context.refs.UserPoolClient }),
    );

    expect(UserPoolClient?.ExplicitAuthFlows).toEqual(
      expect.arrayContaining(["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]),
    );
    expect(UserPoolClient?.ReadAttributes).toContain("custom:tenantId");
    expect(UserPoolClient?.WriteAttributes).toEqual(["email"]);
  });

  it("creates the three role groups", async () => {
    const { Groups } = await cognito.send(new ListGroupsCommand({ UserPoolId: context.refs.UserPool }));

    expect(Groups?.map((g) => g.GroupName).sort()).toEqual(["system-admin", "tenant-admin", "tenant-user"]);
  });

  it("resolves every function's environment variables", () => {
    const functionIds = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === "AWS::Serverless::Function")
      .map(([id]) => id);

    for (const functionId of functionIds) {
      const variables = resolve(functionProperties(template, functionId).Environment.Variables, context);

      expect(variables).toMatchObject({
        STAGE: "local",
        // the pre-token-generation trigger blanks it: the pool refers to that function
        USER_POOL_ID: functionId === "PreTokenGenerationFunction" ? "" : context.refs.UserPool,
        TENANTS_TABLE: `${testStackName}-tenants`,
        TENANT_DATA_ROLE_ARN: `arn:aws:iam::123456789012:role/${testStackName}-tenant-data`,
      });
    }
  });

  it("reuses the existing resources when run again against the same moto", async () => {
    const again = await provision({ endpoint, stackName: testStackName, parameters: { Stage: "local" } });

    expect(again).toEqual(context);
  });

  it("refuses a template with a resource type it cannot create, naming it", async () => {
    const withStream = {
      Resources: { ...template.Resources, OrdersStream: { Type: "AWS::Kinesis::Stream", Properties: {} } },
    };

    await expect(provision({ endpoint, template: withStream, stackName: "tenantkit-unknown" })).rejects.toThrow(
      "OrdersStream: resource type AWS::Kinesis::Stream is not supported",
    );
  });
});
