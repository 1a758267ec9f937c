/**
 * A loopback HTTP proxy in front of moto that counts AWS calls by service, operation and DynamoDB
 * table. Point AWS_ENDPOINT_URL at it before creating clients: every SDK client then goes through
 * it without knowing, and the count says what the code really sent.
 */
import { createServer, type IncomingMessage, request } from "node:http";
import type { AddressInfo } from "node:net";

export interface AwsCall {
  /** e.g. `dynamodb`, `sts`, `ssm`, `secretsmanager`, `cognito-idp`, `jwks` */
  service: string;
  /** e.g. `GetItem`, `AssumeRole`, `GetParameter`, `GetSecretValue` */
  operation: string;
  /** the DynamoDB table, when the operation names one */
  table?: string;
}

export interface CountingProxy {
  url: string;
  calls: AwsCall[];
  /** how many recorded calls match every given field */
  count(match: Partial<AwsCall>): number;
  reset(): void;
  close(): Promise<void>;
}

const SERVICE_BY_TARGET_PREFIX: Record<string, string> = {
  DynamoDB_20120810: "dynamodb",
  AmazonSSM: "ssm",
  secretsmanager: "secretsmanager",
  AWSCognitoIdentityProviderService: "cognito-idp",
  AWSSecurityTokenServiceV20110615: "sts",
};

/** Reads what an AWS request is: JSON protocols name it in X-Amz-Target, query protocols in `Action=`. */
export function classify(req: IncomingMessage, body: string): AwsCall {
  const target = req.headers["x-amz-target"];
  if (typeof target === "string") {
    const [prefix = "", operation = ""] = target.split(".");
    const call: AwsCall = { service: SERVICE_BY_TARGET_PREFIX[prefix] ?? prefix, operation };
    if (call.service === "dynamodb") {
      try {
        const table = (JSON.parse(body) as { TableName?: unknown }).TableName;
        if (typeof table === "string") call.table = table;
      } catch {
        // not JSON: counted without a table
      }
    }
    return call;
  }
  if (req.url?.endsWith("/.well-known/jwks.json")) return { service: "jwks", operation: "GET" };
  const action = new URLSearchParams(body).get("Action");
  if (action) {
    const authorization = String(req.headers.authorization ?? "");
    const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(authorization)?.[1] ?? "query";
    return { service, operation: action };
  }
  return { service: "http", operation: `${req.method} ${req.url}` };
}

/** Starts the proxy on a free loopback port, forwarding to `upstream` (moto). */
export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const target = new URL(upstream);
  const calls: AwsCall[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    calls.push(classify(req, body.toString("utf8")));
    const forwarded = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on("error", (error) => {
      res.writeHead(502);
      res.end(error.message);
    });
    forwarded.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    count: (match) =>
      calls.filter((call) => Object.entries(match).every(([key, value]) => call[key as keyof AwsCall] === value))
        .length,
    reset: () => {
      calls.length = 0;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
