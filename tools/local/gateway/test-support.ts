/** Test support for the gateway: the fixture template (its build folder is `fixtures/`) and helpers to hold handlers. */
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseTemplate, type ResolveContext, type Template } from "../template.ts";

export const fixturesDir = fileURLToPath(new URL("./fixtures", import.meta.url));

const yaml = `
Parameters:
  Stage: { Type: String, Default: local }
  AuthorizerCacheSeconds: { Type: Number, Default: 300 }

Globals:
  Function:
    Timeout: 5
    MemorySize: 256
    Layers: [!Ref layer]
    Environment:
      Variables:
        STAGE: !Ref Stage
        TABLE_NAME: !Ref Table

Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: !Ref Stage
      Auth:
        DefaultAuthorizer: FixtureAuthorizer
        Authorizers:
          FixtureAuthorizer:
            FunctionPayloadType: REQUEST
            FunctionArn: !GetAtt authorizer.Arn
            Identity:
              Headers: [Authorization]
              ReauthorizeEvery: !Ref AuthorizerCacheSeconds
      GatewayResponses:
        UNAUTHORIZED:
          StatusCode: 401
          ResponseParameters:
            Headers:
              Content-Type: "'application/problem+json'"
              WWW-Authenticate: "'Bearer'"
              X-Correlation-Id: method.request.header.X-Correlation-Id
          ResponseTemplates:
            application/json: '{"type":"about:blank","title":"Unauthorized","status":401,"detail":"A valid bearer token is required."}'
        ACCESS_DENIED:
          StatusCode: 403
          ResponseParameters:
            Headers:
              Content-Type: "'application/problem+json'"
          ResponseTemplates:
            application/json: '{"type":"about:blank","title":"Forbidden","status":403,"detail":"This tenant may not use the API."}'

  layer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer

  Table:
    Type: AWS::DynamoDB::Table

  authorizer:
    Type: AWS::Serverless::Function
    Properties:
      Handler: handler.handler

  echo:
    Type: AWS::Serverless::Function
    Properties:
      Handler: handler.handler
      Environment:
        Variables:
          SERVICE_NAME: echo
      Events:
        ListProducts:
          Type: Api
          Properties: { RestApiId: !Ref Api, Path: /products, Method: GET }
        GetProduct:
          Type: Api
          Properties: { RestApiId: !Ref Api, Path: "/products/{id}", Method: GET }
        ReplaceProduct:
          Type: Api
          Properties: { RestApiId: !Ref Api, Path: "/products/{id}", Method: PUT }
        Upload:
          Type: Api
          Properties: { RestApiId: !Ref Api, Path: /upload, Method: POST }
        Files:
          Type: Api
          Properties: { RestApiId: !Ref Api, Path: "/files/{proxy+}", Method: ANY }
        Public:
          Type: Api
          Properties: { RestApiId: !Ref Api, Path: /public, Method: GET, Auth: { Authorizer: NONE } }

  streaming:
    Type: AWS::Serverless::Function
    Properties:
      Handler: handler.streamHandler
      Events:
        ExportProducts:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /products/export
            Method: GET
            ResponseTransferMode: RESPONSE_STREAM
        BufferedByMistake:
          Type: Api
          Properties: { RestApiId: !Ref Api, Path: /buffered-export, Method: GET, Auth: { Authorizer: NONE } }

  slow:
    Type: AWS::Serverless::Function
    Properties:
      Handler: handler.handler
      Timeout: 1
      Events:
        Slow:
          Type: Api
          Properties: { RestApiId: !Ref Api, Path: /slow, Method: GET, Auth: { Authorizer: NONE } }

  crash:
    Type: AWS::Serverless::Function
    Properties:
      Handler: handler.handler
      Events:
        Crash:
          Type: Api
          Properties: { RestApiId: !Ref Api, Path: /crash, Method: GET, Auth: { Authorizer: NONE } }
`;

export function fixtureTemplate(): Template {
  return parseTemplate(yaml);
}

export function fixtureResolveContext(authorizerCacheSeconds = 300): ResolveContext {
  return {
    parameters: { Stage: "local", AuthorizerCacheSeconds: String(authorizerCacheSeconds) },
    pseudo: { "AWS::Region": "eu-west-1", "AWS::AccountId": "111122223333" },
    refs: { Table: "fixture-table", Api: "fixtureapi" },
    attributes: {},
  };
}

let tempDir: string | undefined;

/** A fresh path in this test file's temporary folder (created on first use). */
export function tempPath(name: string): string {
  tempDir ??= mkdtempSync(join(tmpdir(), "tenantkit-gateway-test-"));
  return join(tempDir, `${name}-${randomUUID()}`);
}

/** Call in `afterAll`. */
export function removeTempFiles(): void {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  tempDir = undefined;
}

/**
 * A file the fixture handlers wait for (`?gate=<path>`): each invocation appends its pid to
 * `<path>.started`, then holds until `open()` creates the file.
 */
export function createGate() {
  const path = tempPath("gate");
  const startedPids = () =>
    existsSync(`${path}.started`) ? readFileSync(`${path}.started`, "utf8").trim().split("\n").map(Number) : [];
  return { path, startedPids, open: () => writeFileSync(path, "") };
}

/** Polls `condition` until it holds; fails after `attempts` tries 10 ms apart. */
export async function waitUntil(condition: () => boolean, attempts = 1000): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`condition still false after ${attempts} attempts: ${condition}`);
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
