import { describe, expect, it } from "vitest";
import { functionConfig, lambdaNodeArguments, parseHandler } from "./function-config.ts";
import { fixtureResolveContext, fixturesDir, fixtureTemplate } from "./test-support.ts";

describe("parseHandler", () => {
  it("splits the file from the export", () => {
    expect(parseHandler("handler.streamHandler")).toEqual({ file: "handler.js", exportName: "streamHandler" });
    expect(parseHandler("src/v1.2/app.handler")).toEqual({ file: "src/v1.2/app.js", exportName: "handler" });
  });

  it("refuses a handler without an export", () => {
    expect(() => parseHandler("handler")).toThrow(/<file>\.<export>/);
  });
});

describe("functionConfig", () => {
  const options = {
    buildDir: "/build",
    resolveContext: fixtureResolveContext(),
    extraEnv: { AWS_ENDPOINT_URL: "http://127.0.0.1:5000", AWS_LAMBDA_FUNCTION_NAME: "cannot-override" },
  };

  it("finds the bundle and export under the build folder", () => {
    const config = functionConfig(fixtureTemplate(), "streaming", options);

    expect(config).toMatchObject({
      taskRoot: "/build/streaming",
      bundlePath: "/build/streaming/handler.js",
      exportName: "streamHandler",
      timeoutSeconds: 5,
      invokedFunctionArn: "arn:aws:lambda:eu-west-1:111122223333:function:streaming",
    });
  });

  it("resolves the template's variables, Globals included, and adds the extra ones", () => {
    const { env } = functionConfig(fixtureTemplate(), "echo", options);

    expect(env).toMatchObject({
      STAGE: "local",
      TABLE_NAME: "fixture-table",
      SERVICE_NAME: "echo",
      AWS_ENDPOINT_URL: "http://127.0.0.1:5000",
    });
  });

  it("sets Lambda's own variables, which nothing can override", () => {
    const { env } = functionConfig(fixtureTemplate(), "echo", options);

    expect(env).toMatchObject({
      AWS_LAMBDA_FUNCTION_NAME: "echo",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "256",
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
      AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
      AWS_REGION: "eu-west-1",
      LAMBDA_TASK_ROOT: "/build/echo",
      NODE_PATH: "/build/layer/nodejs/node_modules:/build/echo",
    });
  });

  it("starts node with Lambda's heap split for the function's memory: 90% old generation, 5% young", () => {
    expect(functionConfig(fixtureTemplate(), "echo", options).nodeArguments).toEqual([
      "--expose-gc",
      "--max-http-header-size=81920",
      "--max-semi-space-size=4",
      "--max-old-space-size=231",
    ]);
    expect(lambdaNodeArguments(1024, "--enable-source-maps")).toEqual([
      "--expose-gc",
      "--max-http-header-size=81920",
      "--max-semi-space-size=17",
      "--max-old-space-size=922",
    ]);
  });

  it("leaves the heap sizes to NODE_OPTIONS when it names one, as Lambda does", () => {
    for (const nodeOptions of ["--max-old-space-size=300", "--enable-source-maps --max_semi_space_size=8"]) {
      expect(lambdaNodeArguments(1024, nodeOptions)).toEqual(["--expose-gc", "--max-http-header-size=81920"]);
    }
    const fromExtraEnv = functionConfig(fixtureTemplate(), "echo", {
      ...options,
      extraEnv: { NODE_OPTIONS: "--max-old-space-size=300" },
    });
    expect(fromExtraEnv.nodeArguments).toEqual(["--expose-gc", "--max-http-header-size=81920"]);
  });

  it("refuses a MemorySize Lambda would not accept", () => {
    const template = fixtureTemplate();
    for (const memorySize of [64, 10241, 512.5, "lots"]) {
      template.Globals = { Function: { MemorySize: memorySize } };
      expect(() => functionConfig(template, "slow", options)).toThrow(/MemorySize must be a whole number/);
    }
  });

  it("takes the function's own Timeout over the Globals one", () => {
    expect(functionConfig(fixtureTemplate(), "slow", options).timeoutSeconds).toBe(1);
  });

  it("refuses a layer that is not built from the template", () => {
    const template = fixtureTemplate();
    template.Globals = { Function: { Layers: ["arn:aws:lambda:eu-west-1:123456789012:layer:external:1"] } };

    expect(() => functionConfig(template, "echo", options)).toThrow(/cannot run locally/);
  });

  it("points at the fixtures the integration tests run", () => {
    expect(functionConfig(fixtureTemplate(), "echo", { ...options, buildDir: fixturesDir }).bundlePath).toMatch(
      /gateway\/fixtures\/echo\/handler\.js$/,
    );
  });
});
