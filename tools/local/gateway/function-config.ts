/** What it takes to run one template function locally: its bundle, handler export, timeout and Lambda environment. */
import { join } from "node:path";
import { functionProperties, type Json, type ResolveContext, resolve, type Template } from "../template.ts";

export interface FunctionConfigOptions {
  /** `<buildDir>/<FunctionLogicalId>/<file>.js` and `<buildDir>/<LayerLogicalId>/nodejs/node_modules` */
  buildDir: string;
  resolveContext: ResolveContext;
  /** Added to every function's environment, e.g. AWS_ENDPOINT_URL and credentials. */
  extraEnv?: Record<string, string>;
}

export interface FunctionConfig {
  functionId: string;
  functionName: string;
  invokedFunctionArn: string;
  /** Lambda's task root (`/var/task`): the function's build folder. */
  taskRoot: string;
  bundlePath: string;
  exportName: string;
  timeoutSeconds: number;
  /** The worker's whole environment: nothing leaks in from the developer's shell. */
  env: Record<string, string>;
  /** What Lambda's Node.js runtime passes to `node` for this memory size (see `lambdaNodeArguments`). */
  nodeArguments: string[];
}

const layerTypes = new Set(["AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"]);

/** The AWS region and account of an environment, as the template's pseudo parameters give them. */
export function regionAndAccount(ctx: ResolveContext): { region: string; accountId: string } {
  return {
    region: ctx.pseudo["AWS::Region"] ?? "us-east-1",
    accountId: ctx.pseudo["AWS::AccountId"] ?? "123456789012",
  };
}

/** `handler.streamHandler` -> file `handler.js`, export `streamHandler` (the file may sit in a folder). */
export function parseHandler(handler: string): { file: string; exportName: string } {
  const folderEnd = handler.lastIndexOf("/") + 1;
  const dot = handler.indexOf(".", folderEnd);
  if (dot === -1) throw new Error(`Handler '${handler}' must look like <file>.<export>`);
  return { file: `${handler.slice(0, dot)}.js`, exportName: handler.slice(dot + 1) };
}

/**
 * Lambda unpacks layers into /opt in order, a later layer overwriting an earlier one, and resolves
 * bare `require`s from /opt/nodejs/node_modules. Listing the later layers first gives the same result.
 */
function layerNodePath(template: Template, functionId: string, layers: Json[], buildDir: string): string[] {
  const dirs = layers.map((layer) => {
    const layerId = layer?.Ref;
    if (typeof layerId !== "string" || !layerTypes.has(template.Resources[layerId]?.Type ?? "")) {
      throw new Error(
        `${functionId}: layer ${JSON.stringify(layer)} is not built from template.yaml, so it cannot run locally`,
      );
    }
    return join(buildDir, layerId, "nodejs", "node_modules");
  });
  return dirs.reverse();
}

function logStreamDate(now: Date): string {
  return now.toISOString().slice(0, 10).replaceAll("-", "/");
}

/**
 * The arguments Lambda's Node.js runtime starts `node` with, as its `/var/runtime/bootstrap` is
 * published (the nodejs18.x image's in full, the nodejs24.x one in part; docs/BENCHMARKS.md):
 * a tenth of the function's memory is kept out of the old generation, which gets the rest, so a
 * function that runs out of heap on Lambda runs out here too. The semi-space size is inferred
 * from the nodejs24.x script's comment (the young generation's three semi-spaces take 5%), the
 * one line of it not published. As there, heap sizes named in `NODE_OPTIONS` are left alone
 * (V8 picks the one not named), and `global.gc` is exposed.
 *
 * @example
 * lambdaNodeArguments(1024, ""); // ["--expose-gc", "--max-http-header-size=81920", "--max-semi-space-size=17", "--max-old-space-size=922"]
 */
export function lambdaNodeArguments(memorySizeMb: number, nodeOptions: string): string[] {
  const base = ["--expose-gc", "--max-http-header-size=81920"];
  if (/--max[-_](semi|old)[-_]space[-_]size/.test(nodeOptions)) return base;
  const newSpace = Math.floor(memorySizeMb / 10);
  return [
    ...base,
    `--max-semi-space-size=${Math.floor(newSpace / 6)}`,
    `--max-old-space-size=${memorySizeMb - newSpace}`,
  ];
}

/** Resolves a function of the template into what a worker process needs to run it like Lambda. */
export function functionConfig(template: Template, functionId: string, options: FunctionConfigOptions): FunctionConfig {
  const { buildDir, resolveContext, extraEnv = {} } = options;
  const properties = functionProperties(template, functionId);
  const { file, exportName } = parseHandler(resolve(properties.Handler, resolveContext));
  const { region, accountId } = regionAndAccount(resolveContext);
  const functionName = properties.FunctionName ? String(resolve(properties.FunctionName, resolveContext)) : functionId;
  const taskRoot = join(buildDir, functionId);
  const memorySize = Number(resolve(properties.MemorySize ?? 128, resolveContext));
  if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10240) {
    throw new Error(`${functionId}: MemorySize must be a whole number of MB from 128 to 10240`);
  }
  const templateVariables = resolve(properties.Environment.Variables, resolveContext) as Record<string, Json>;
  const nodePath = [...layerNodePath(template, functionId, properties.Layers ?? [], buildDir), taskRoot];

  // Lambda's reserved variables come last: on AWS neither the template nor anything else can override them.
  const lambdaVariables: Record<string, string> = {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memorySize),
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    // Powertools reports cold starts only when this says on-demand.
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `${logStreamDate(new Date())}/[$LATEST]${functionId}`,
    LAMBDA_TASK_ROOT: taskRoot,
    NODE_PATH: nodePath.join(":"),
    TZ: ":UTC",
    _HANDLER: String(properties.Handler),
  };
  const env = {
    ...Object.fromEntries(Object.entries(templateVariables).map(([name, value]) => [name, String(value)])),
    ...extraEnv,
    ...lambdaVariables,
  };
  return {
    functionId,
    functionName,
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    taskRoot,
    bundlePath: join(taskRoot, file),
    exportName,
    timeoutSeconds: Number(resolve(properties.Timeout ?? 3, resolveContext)),
    env,
    nodeArguments: lambdaNodeArguments(memorySize, env.NODE_OPTIONS ?? ""),
  };
}
