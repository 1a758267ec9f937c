import { afterEach, describe, expect, it } from "vitest";
import type { LocalLambda } from "./gateway/index.ts";
import { type LambdaEndpoint, startLambdaEndpoint } from "./lambda-endpoint.ts";
import type { ResolveContext, Template } from "./template.ts";

const template = {
  Resources: {
    TriggerFunction: { Type: "AWS::Serverless::Function", Properties: {} },
    Table: { Type: "AWS::DynamoDB::Table", Properties: {} },
  },
} as unknown as Template;
const context = {
  parameters: {},
  pseudo: {},
  refs: { TriggerFunction: "stack-TriggerFunction", Table: "stack-table" },
  attributes: { "TriggerFunction.Arn": "arn:aws:lambda:us-east-1:123456789012:function:stack-TriggerFunction" },
} as ResolveContext;

/** Answers as the local functions would: an echo, a failure, or a crash, by the event's `kind`. */
const invoked: [string, unknown][] = [];
const lambda: LocalLambda = {
  invoke: async (functionId, event) => {
    invoked.push([functionId, event]);
    const { kind } = event as { kind: string };
    if (kind === "fail") return { status: "failed", error: { errorType: "Error", errorMessage: "no", trace: [] } };
    if (kind === "crash") return { status: "crashed", exitCode: 1, signal: null };
    return { status: "succeeded", payload: { echoed: event } };
  },
} as LocalLambda;

let endpoint: LambdaEndpoint | undefined;
afterEach(async () => {
  await endpoint?.close();
  invoked.length = 0;
});

const invoke = (name: string, event: unknown) =>
  fetch(`${endpoint?.url}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`, {
    method: "POST",
    body: JSON.stringify(event),
  });

describe("the local Lambda endpoint", () => {
  it("invokes a function of the template by name or ARN, once it serves, and answers its result", async () => {
    endpoint = await startLambdaEndpoint();
    // Before `serve`, an invocation waits for it (moto starts before the functions are built).
    const early = invoke("stack-TriggerFunction", { kind: "echo", n: 1 });
    endpoint.serve(template, context, lambda);
    const byArn = await invoke(context.attributes["TriggerFunction.Arn"] as string, { kind: "echo", n: 2 });
    expect(await (await early).json()).toEqual({ echoed: { kind: "echo", n: 1 } });
    expect(byArn.status).toBe(200);
    expect(byArn.headers.get("x-amz-function-error")).toBeNull();
    expect(await byArn.json()).toEqual({ echoed: { kind: "echo", n: 2 } });
    expect(invoked.map(([id]) => id)).toEqual(["TriggerFunction", "TriggerFunction"]);
  });

  it("answers a failure as Lambda does: 200 with X-Amz-Function-Error and the error", async () => {
    endpoint = await startLambdaEndpoint();
    endpoint.serve(template, context, lambda);
    for (const [kind, errorType] of [
      ["fail", "Error"],
      ["crash", "Runtime.ExitError"],
    ]) {
      const response = await invoke("stack-TriggerFunction", { kind });
      expect(response.status).toBe(200);
      expect(response.headers.get("x-amz-function-error")).toBe("Unhandled");
      expect(await response.json()).toMatchObject({ errorType });
    }
  });

  it("knows only the template's functions and Lambda's Invoke path", async () => {
    endpoint = await startLambdaEndpoint();
    endpoint.serve(template, context, lambda);
    const unknown = await invoke("stack-table", {});
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("x-amzn-errortype")).toBe("ResourceNotFoundException");
    expect((await fetch(`${endpoint.url}/products`)).status).toBe(404);
    expect(invoked).toEqual([]);
  });
});
