/** Starts the whole Docker-free local stack: moto, resources from template.yaml, built functions, demo data, the gateway. */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { localAwsEnv, localRegion } from "./aws-env.ts";
import { buildAll, buildDir } from "./build.ts";
import { startEventSources } from "./event-sources.ts";
import { type LogSink, printFunctionLog, startGateway } from "./gateway/index.ts";
import { startLambdaEndpoint } from "./lambda-endpoint.ts";
import { setUpPythonTools, startMoto } from "./moto.ts";
import { openApiDocsRoutes, writeOpenApiDocument } from "./openapi-docs.ts";
import { provision } from "./provision.ts";
import { seedDemoData } from "./seed.ts";
import { loadTemplate, type ResolveContext, repoRoot } from "./template.ts";
import { createUsagePlanAdmission } from "./usage-plans.ts";
import { watchFunctions } from "./watch.ts";

export const LOCAL_STACK_NAME = "tenantkit-local";
export const LOCAL_STAGE = "local";
/** Where a running stack says how to reach it (read by `npm run token`). */
export const stackInfoPath = join(repoRoot, ".tenantkit/stack.json");

/** How to reach a running local stack. */
export interface StackInfo {
  url: string;
  endpoint: string;
  region: string;
  userPoolId: string;
  clientId: string;
}

export interface LocalStack extends StackInfo {
  context: ResolveContext;
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  /** gateway port; 0 picks a free one */
  port?: number;
  host?: string;
  motoPort?: number;
  /** progress lines (each step with its time) */
  progress?: (line: string) => void;
  /** moto's log lines (default: dropped) */
  log?: (line: string) => void;
  /** the functions' log lines (default: printed with the function id as prefix) */
  functionLog?: LogSink;
  /** write .tenantkit/stack.json for `npm run token` (the dev server does; tests do not) */
  writeInfo?: boolean;
  /** rebuild and reload a function when its source changes (the dev server does; tests do not) */
  watch?: boolean;
}

async function step<T>(
  progress: (line: string) => void,
  name: string,
  run: () => Promise<T>,
  done?: (value: T) => string,
) {
  const started = performance.now();
  progress(`… ${name}`);
  const value = await run();
  const ms = Math.round(performance.now() - started);
  progress(`✓ ${name}${done ? `: ${done(value)}` : ""} (${ms} ms)`);
  return value;
}

/**
 * Starts everything the README's `npm run dev` promises, in order, and returns how to reach it.
 * `stop()` ends the gateway's workers and moto; nothing is left running.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const progress = options.progress ?? (() => {});
  const log = options.log ?? (() => {});
  const template = loadTemplate();
  await step(
    progress,
    "Python virtualenv (moto, SAM CLI)",
    () => setUpPythonTools(log),
    () => ".venv",
  );
  // Where moto invokes the user pool's trigger: up before moto, answering once the functions are.
  const lambdaEndpoint = await startLambdaEndpoint();
  const moto = await step(
    progress,
    "AWS services (moto server)",
    () =>
      startMoto({ port: options.motoPort ?? 0, log, lambdaEndpoint: lambdaEndpoint.url }).catch(async (error) => {
        await lambdaEndpoint.close();
        throw error;
      }),
    (m) => m.endpoint,
  );
  try {
    const awsEnv = localAwsEnv(moto.endpoint);
    Object.assign(process.env, awsEnv);
    const context = await step(
      progress,
      "resources from template.yaml",
      () =>
        provision({
          endpoint: moto.endpoint,
          template,
          stackName: LOCAL_STACK_NAME,
          // Tenant records are trusted for 2 s locally (30 s in AWS), so status and tier changes
          // show at once; local requests end in milliseconds, so offboardings and tier changes wait
          // 2 s for admitted ones (30 s in AWS, the functions' timeout).
          parameters: { Stage: LOCAL_STAGE, TenantRegistryCacheSeconds: "2", AdmittedWorkSeconds: "2" },
        }),
      (c) => `${Object.keys(c.refs).length} resources`,
    );
    // Written in its own process while the functions build; served at /openapi.json and /docs.
    const openApiPath = join(repoRoot, `.tenantkit/openapi-${process.pid}.json`);
    const openApiDocument = writeOpenApiDocument(openApiPath);
    openApiDocument.catch(() => {}); // awaited in its own step below
    await step(
      progress,
      "functions and layer (esbuild)",
      () => buildAll(template),
      (ids) => ids.join(", "),
    );
    await step(
      progress,
      "demo tenants, users and products",
      () => seedDemoData(context, template),
      (s) => `${s.tenants} tenants, ${s.users} users, ${s.products} products`,
    );
    // A broken route description must not keep the stack from starting: /openapi.json says so instead.
    await step(
      progress,
      "OpenAPI document (/openapi.json, /docs)",
      () =>
        openApiDocument.then(
          () => "written",
          (error: Error) => `✗ ${error.message}`,
        ),
      (outcome) => outcome,
    );
    const gateway = await step(
      progress,
      "API gateway",
      () =>
        startGateway({
          template,
          buildDir,
          resolveContext: context,
          extraEnv: awsEnv,
          port: options.port ?? 3000,
          host: options.host ?? "127.0.0.1",
          stage: LOCAL_STAGE,
          admit: createUsagePlanAdmission({ endpoint: moto.endpoint, template, resolveContext: context }),
          localRoutes: openApiDocsRoutes(openApiPath),
          ...(options.functionLog && { log: options.functionLog }),
        }),
      (g) => g.url,
    );
    lambdaEndpoint.serve(template, context, gateway.lambda);
    const functionLog = options.functionLog ?? printFunctionLog;
    const eventSources = await step(
      progress,
      "event sources (SQS queues, schedules)",
      () =>
        startEventSources({
          template,
          context,
          invoke: gateway.lambda.invoke,
          log: (line) => functionLog({ functionId: "event-sources", stream: "stderr", line }),
        }).catch(async (error: unknown) => {
          await gateway.close();
          throw error;
        }),
      (s) => `${s.sqs.length} queue(s), ${s.schedules.length} schedule(s)`,
    );
    const watcher =
      options.watch &&
      watchFunctions({
        template,
        buildDir,
        lambda: gateway.lambda,
        progress,
        afterRebuild: async () => {
          await writeOpenApiDocument(openApiPath);
          progress("✓ OpenAPI document written again");
        },
      });
    if (watcher) progress("✓ watching functions/, layers/ and shared/: a change rebuilds and reloads what uses it");
    const info: StackInfo = {
      url: gateway.url,
      endpoint: moto.endpoint,
      region: localRegion,
      userPoolId: context.refs.UserPool as string,
      clientId: context.refs.UserPoolClient as string,
    };
    if (options.writeInfo) {
      await mkdir(join(repoRoot, ".tenantkit"), { recursive: true });
      await writeFile(stackInfoPath, `${JSON.stringify(info, null, 2)}\n`);
    }
    return {
      ...info,
      context,
      async stop() {
        if (watcher) watcher.close();
        await eventSources.stop();
        await gateway.close();
        await moto.stop();
        await lambdaEndpoint.close();
        if (options.writeInfo) await rm(stackInfoPath, { force: true });
        await rm(openApiPath, { force: true });
      },
    };
  } catch (error) {
    await moto.stop();
    await lambdaEndpoint.close();
    throw error;
  }
}
