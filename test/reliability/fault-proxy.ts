/**
 * An HTTP proxy in front of moto that injects AWS faults: it forwards every call to the real
 * endpoint unless a rule says otherwise, and it can disappear (close its port and cut every open
 * connection) and come back on the same port. Functions reach it through AWS_ENDPOINT_URL, so
 * they see exactly what an outage of the AWS endpoint looks like: refused and reset connections,
 * throttling and server errors, or a response lost after DynamoDB applied the write.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** One AWS call as the proxy saw it. */
export interface AwsCall {
  /** e.g. `DynamoDB_20120810.PutItem` for JSON protocols; empty for query protocols (STS) */
  target: string;
  /** `TableName` of a DynamoDB call, when there is one */
  tableName: string | undefined;
  /** what the proxy did with it */
  fault: Fault["kind"];
}

export type Fault =
  /** pass it on */
  | { kind: "forward" }
  /** answer it without asking moto (throttling, a 500...) */
  | { kind: "respond"; status: number; errorType: string; message?: string }
  /** cut the connection before anything reaches moto */
  | { kind: "reset" }
  /** let moto apply it, then cut the connection before the answer gets back */
  | { kind: "forward-then-reset" }
  /** hold it until `release` resolves, then do what `afterwards` says */
  | { kind: "hold"; release: Promise<void>; afterwards: Exclude<Fault, { kind: "hold" }> };

/** Decides each call's fate; return undefined to forward. */
export type FaultRule = (call: Omit<AwsCall, "fault">) => Fault | undefined;

export interface FaultProxy {
  /** give it to the functions as AWS_ENDPOINT_URL */
  url: string;
  /** every call seen since the last `reset()` */
  calls: AwsCall[];
  /** replaces the rule (undefined: forward everything) and forgets the calls */
  reset(rule?: FaultRule): void;
  /** closes the port and cuts every open connection: the endpoint is gone */
  disappear(): Promise<void>;
  /** listens again on the same port */
  reappear(): Promise<void>;
  close(): Promise<void>;
}

/** The DynamoDB JSON protocol's error body; the SDK reads `__type`. */
function awsJsonError(res: ServerResponse, status: number, errorType: string, message = errorType) {
  const body = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${errorType}`, message });
  res.writeHead(status, {
    "content-type": "application/x-amz-json-1.0",
    "x-amzn-errortype": errorType,
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * Starts the proxy on a free loopback port.
 *
 * @example
 * const proxy = await startFaultProxy(moto.endpoint);
 * proxy.reset((call) => (call.target.endsWith("PutItem") ? { kind: "reset" } : undefined));
 */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  let rule: FaultRule | undefined;
  const calls: AwsCall[] = [];
  const sockets = new Set<Socket>();

  async function forward(req: IncomingMessage, body: Buffer, res: ServerResponse, resetAfter: boolean) {
    const upstreamReq = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upstreamRes) => {
        const chunks: Buffer[] = [];
        upstreamRes.on("data", (chunk: Buffer) => chunks.push(chunk));
        upstreamRes.on("end", () => {
          if (resetAfter) {
            req.socket.destroy();
            return;
          }
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          res.end(Buffer.concat(chunks));
        });
      },
    );
    // moto itself is gone: the caller sees its connection die, as it would without the proxy.
    upstreamReq.on("error", () => req.socket.destroy());
    upstreamReq.end(body);
  }

  async function apply(
    fault: Exclude<Fault, { kind: "hold" }>,
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
  ) {
    switch (fault.kind) {
      case "forward":
        return forward(req, body, res, false);
      case "forward-then-reset":
        return forward(req, body, res, true);
      case "reset":
        req.socket.destroy();
        return;
      case "respond":
        return awsJsonError(res, fault.status, fault.errorType, fault.message);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const body = await readAll(req);
    const targetHeader = String(req.headers["x-amz-target"] ?? "");
    let tableName: string | undefined;
    if (targetHeader.startsWith("DynamoDB")) {
      try {
        tableName = JSON.parse(body.toString("utf8")).TableName;
      } catch {
        tableName = undefined;
      }
    }
    const seen = { target: targetHeader, tableName };
    const fault = rule?.(seen) ?? { kind: "forward" };
    calls.push({ ...seen, fault: fault.kind });
    if (fault.kind === "hold") {
      await fault.release;
      return apply(fault.afterwards, req, body, res);
    }
    return apply(fault, req, body, res);
  }

  let server: Server = createServer();
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server = createServer((req, res) => {
        handle(req, res).catch(() => req.socket.destroy());
      });
      server.keepAliveTimeout = 60_000;
      server.on("connection", (socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
      });
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
    });
  const port = await listen(0);
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    reset(next) {
      rule = next;
      calls.length = 0;
    },
    disappear: stop,
    reappear: async () => {
      await listen(port);
    },
    close: stop,
  };
}
