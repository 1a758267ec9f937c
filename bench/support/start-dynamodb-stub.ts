/** Starts the in-memory DynamoDB stand-in (bench/support/dynamodb-stub.ts) in its own process. */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface DynamoDbStub {
  url: string;
  /** what it answered itself and what it forwarded to moto */
  stats(): Promise<{ Query: number; GetItem: number; UpdateItem: number; forwarded: number; itemsServed: number }>;
  stop(): Promise<void>;
}

const stubScript = fileURLToPath(new URL("./dynamodb-stub.ts", import.meta.url));

/**
 * @param upstream the moto server that answers everything else
 * @param tenants tenant id -> number of generated products
 */
export async function startDynamoDbStub(options: {
  upstream: string;
  tableName: string;
  /** the usage meter's table, when the template has one */
  usageTableName?: string | undefined;
  tenants: Record<string, number>;
}): Promise<DynamoDbStub> {
  const child = fork(stubScript, [], {
    env: {
      PATH: process.env.PATH ?? "",
      STUB_UPSTREAM: options.upstream,
      STUB_TABLE: options.tableName,
      STUB_USAGE_TABLE: options.usageTableName ?? "",
      STUB_TENANTS: JSON.stringify(options.tenants),
    },
    // Node 24 runs this TypeScript file itself (type stripping): no loader in the measured path.
    execArgv: ["--disable-warning=ExperimentalWarning"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (message: { port: number }) => resolve(message.port));
    child.once("exit", (code) => reject(new Error(`the DynamoDB stub exited with code ${code}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    stats: async () => (await fetch(`${url}/__stub/stats`)).json(),
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
