import type { PolicyDocument } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { methodArn, policyAllowsInvoke } from "./authorizer-policy.ts";

const arn = methodArn({
  region: "eu-west-1",
  accountId: "111122223333",
  apiId: "abc123",
  stage: "dev",
  method: "GET",
  path: "/products/42",
});

const policy = (...Statement: { Effect: "Allow" | "Deny"; Action: string | string[]; Resource: string | string[] }[]) =>
  ({ Version: "2012-10-17", Statement }) as PolicyDocument;

describe("methodArn", () => {
  it("names the stage, method and path without its leading slash", () => {
    expect(arn).toBe("arn:aws:execute-api:eu-west-1:111122223333:abc123/dev/GET/products/42");
  });
});

describe("policyAllowsInvoke", () => {
  it("allows when a statement allows execute-api:Invoke on the exact ARN", () => {
    expect(policyAllowsInvoke(policy({ Effect: "Allow", Action: "execute-api:Invoke", Resource: arn }), arn)).toBe(
      true,
    );
  });

  it("matches * and ? wildcards in resources", () => {
    const stageWide = "arn:aws:execute-api:eu-west-1:111122223333:abc123/dev/*";
    const oneCharacter = "arn:aws:execute-api:eu-west-1:111122223333:abc123/dev/GET/products/4?";

    expect(
      policyAllowsInvoke(policy({ Effect: "Allow", Action: "execute-api:Invoke", Resource: stageWide }), arn),
    ).toBe(true);
    expect(
      policyAllowsInvoke(policy({ Effect: "Allow", Action: "execute-api:Invoke", Resource: oneCharacter }), arn),
    ).toBe(true);
  });

  it("does not allow another method or path", () => {
    const other = "arn:aws:execute-api:eu-west-1:111122223333:abc123/dev/GET/products";

    expect(policyAllowsInvoke(policy({ Effect: "Allow", Action: "execute-api:Invoke", Resource: other }), arn)).toBe(
      false,
    );
  });

  it("accepts action wildcards and lists, case-insensitively", () => {
    expect(
      policyAllowsInvoke(policy({ Effect: "Allow", Action: ["s3:GetObject", "execute-api:*"], Resource: "*" }), arn),
    ).toBe(true);
    expect(policyAllowsInvoke(policy({ Effect: "Allow", Action: "Execute-API:invoke", Resource: "*" }), arn)).toBe(
      true,
    );
    expect(policyAllowsInvoke(policy({ Effect: "Allow", Action: "s3:*", Resource: "*" }), arn)).toBe(false);
  });

  it("lets an explicit Deny win over an Allow", () => {
    const document = policy(
      { Effect: "Allow", Action: "execute-api:Invoke", Resource: "*" },
      { Effect: "Deny", Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:*:*:abc123/dev/GET/products/*" },
    );

    expect(policyAllowsInvoke(document, arn)).toBe(false);
  });

  it("denies when no statement applies", () => {
    expect(policyAllowsInvoke(policy(), arn)).toBe(false);
  });

  it("accepts a single statement object, as IAM does", () => {
    const document = { Version: "2012-10-17", Statement: { Effect: "Allow", Action: "*", Resource: "*" } };

    expect(policyAllowsInvoke(document as unknown as PolicyDocument, arn)).toBe(true);
  });
});
