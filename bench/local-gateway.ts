/**
 * The local gateway: requests per second and latency of GET /products/{id} through the local REST
 * API gateway (route match, cached authorizer decision, proxy event, Lambda-like worker process)
 * against the same Hono app served in-process by @hono/node-server. Both read the product from the
 * DynamoDB stand-in, so the difference is what the gateway adds. autocannon runs in its own process.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { functionConfig } from "../tools/local/gateway/function-config.ts";
import { startGateway } from "../tools/local/gateway/index.ts";
import { benchProductId } from "./support/bench-catalogue.ts";
import type { Benchmark } from "./support/context.ts";
import type { LoadOptions, LoadResult } from "./support/load-client.ts";
import { round, rounded, type Summary, summarize } from "./support/stats.ts";

export const GATEWAY_TENANT = "bench-gateway";
export const GATEWAY_CATALOGUE_SIZE = 100;
const loadClient = fileURLToPath(new URL("./support/load-client.ts", import.meta.url));
const nodeServerApp = fileURLToPath(new URL("./support/node-server-app.ts", import.meta.url));
const seconds = Number(process.env.BENCH_GATEWAY_SECONDS ?? 5);
const latencyRounds = 2;

type Target = "local-gateway" | "node-server";

export interface LoadRun {
  target: Target;
  connections: number;
  requests: number;
  requestsPerSecond: number;
  non2xx: number;
  errors: number;
  latencyMs: Summary;
}

export interface LocalGatewayResult {
  route: string;
  secondsPerRun: number;
  runs: LoadRun[];
  /** gateway p50 − node-server p50 at one connection, ms */
  addedP50Ms: number;
  addedP99Ms: number;
  target: { addedP50Ms: number };
  samLocal: { perRequest: string; sources: { title: string; url: string }[] };
}

function load(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(loadClient, [], { execArgv: ["--disable-warning=ExperimentalWarning"], stdio: "inherit" });
    child.once("message", (result: LoadResult) => resolve(result));
    child.once("exit", (code) => (code === 0 ? undefined : reject(new Error(`load client exited with ${code}`))));
    child.send(options);
  });
}

async function startNodeServer(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(nodeServerApp, [], {
    execArgv: ["--import", "tsx"],
    env,
    // one EMF line per request, as in the worker: to /dev/null, not to a terminal
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (message: { port: number }) => resolve(message.port));
    child.once("exit", (code) => reject(new Error(`node-server app exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

export const localGateway: Benchmark<LocalGatewayResult> = {
  name: "local-gateway",
  async run(context) {
    const [build, aws, stub] = await Promise.all([context.build(), context.aws(), context.stub()]);
    const extraEnv = { ...aws.env, AWS_ENDPOINT_URL_DYNAMODB: stub.url };
    const gateway = await startGateway({
      template: context.template,
      buildDir: build.buildDir,
      resolveContext: aws.context,
      extraEnv,
      port: 0,
      stage: "local",
      log: () => {},
    });
    const config = functionConfig(context.template, "ProductsFunction", {
      buildDir: build.buildDir,
      resolveContext: aws.context,
      extraEnv,
    });
    const { NODE_PATH: _layerPath, ...appEnv } = config.env;
    const nodeServer = await startNodeServer({ PATH: process.env.PATH ?? "", ...appEnv });
    const path = `/products/${benchProductId(42)}`;
    const headers = { authorization: `Bearer ${await aws.tokenFor(GATEWAY_TENANT)}` };
    const urls: Record<Target, string> = {
      "local-gateway": `${gateway.url}${path}`,
      "node-server": `${nodeServer.url}${path}`,
    };
    const runs: LoadRun[] = [];
    try {
      for (const target of Object.keys(urls) as Target[]) {
        const check = await fetch(urls[target], { headers });
        if (check.status !== 200)
          throw new Error(`${target}: GET ${path} answered ${check.status} ${await check.text()}`);
      }
      const collect = async (target: Target, connections: number, rounds: number) => {
        const results: LoadResult[] = [];
        for (let i = 0; i < rounds; i++)
          results.push(await load({ url: urls[target], headers, connections, durationSeconds: seconds }));
        return results;
      };
      for (const connections of [1, 8]) {
        const rounds = connections === 1 ? latencyRounds : 1;
        // Up to this many worker processes start on the first concurrent requests: not what is measured.
        for (const target of Object.keys(urls) as Target[]) {
          await load({ url: urls[target], headers, connections, durationSeconds: 2 });
        }
        const byTarget = new Map<Target, LoadResult[]>([
          ["local-gateway", []],
          ["node-server", []],
        ]);
        // Alternate the targets so both see the same machine load.
        for (let i = 0; i < rounds; i++) {
          for (const target of byTarget.keys()) byTarget.get(target)?.push(...(await collect(target, connections, 1)));
        }
        for (const [target, results] of byTarget) {
          const requests = results.reduce((sum, r) => sum + r.requests, 0);
          runs.push({
            target,
            connections,
            requests,
            requestsPerSecond: round(results.reduce((sum, r) => sum + r.requestsPerSecond, 0) / results.length, 1),
            non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
            errors: results.reduce((sum, r) => sum + r.errors, 0),
            latencyMs: rounded(summarize(results.flatMap((r) => r.latenciesMs)), 3),
          });
          context.log(
            `${target} c=${connections}: ${runs.at(-1)?.requestsPerSecond} req/s, p50 ${runs.at(-1)?.latencyMs.p50} ms`,
          );
        }
      }
    } finally {
      nodeServer.child.kill("SIGTERM");
      await gateway.close();
    }
    const single = (target: Target) => runs.find((r) => r.target === target && r.connections === 1) as LoadRun;
    return {
      route: "GET /products/{id}",
      secondsPerRun: seconds,
      runs,
      addedP50Ms: round(single("local-gateway").latencyMs.p50 - single("node-server").latencyMs.p50, 3),
      addedP99Ms: round(single("local-gateway").latencyMs.p99 - single("node-server").latencyMs.p99, 3),
      target: { addedP50Ms: 1 },
      samLocal: SAM_LOCAL_CONTEXT,
    };
  },
};

/**
 * What `sam local start-api` costs per request, as published. AWS publishes no figure; these are
 * reports in the SAM CLI's own issue tracker (a Docker container per request until warm containers).
 */
const SAM_LOCAL_CONTEXT = {
  perRequest:
    "about 1 s per request with a new container per invocation (2018); 1.3–5 s for a hello world on SAM CLI 1.2 (2020); " +
    "about 2 s per request even with --warm-containers EAGER/LAZY as reported in 2022",
  sources: [
    {
      title: "aws/aws-sam-cli#362 Requests are slow (≈1 s per request)",
      url: "https://github.com/aws/aws-sam-cli/issues/362",
    },
    {
      title: "aws/aws-sam-cli#2223 sam local start-api unworkably slow (5 s; maintainer repro 1.3 s warm)",
      url: "https://github.com/aws/aws-sam-cli/issues/2223",
    },
    {
      title: "aws/aws-sam-cli#3782 Slow start times when connected to network (3 s, 2 s with warm containers)",
      url: "https://github.com/aws/aws-sam-cli/issues/3782",
    },
    {
      title: "sam local start-api reference: --warm-containers EAGER|LAZY",
      url: "https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-cli-command-reference-sam-local-start-api.html",
    },
  ],
};
