// One cold-start sample: a fresh Node process loads one bundle as Lambda does and invokes it once.
// Usage (by bench/cold-start.ts): node cold-start-runner.cjs <bundle> <export> <event.json>, with the
// function's Lambda environment (NODE_PATH = the layer's nodejs/node_modules). The measurement goes to
// file descriptor 3 as JSON; stdout (the function's logs and metrics) is discarded by the parent.
"use strict";
const { readFileSync, writeSync } = require("node:fs");
const { Writable } = require("node:stream");
const { finished } = require("node:stream/promises");

const STREAMING_HANDLER = Symbol.for("aws.lambda.runtime.handler.streaming");

/** What a response stream receives: Lambda's metadata, then the body. */
class CollectingResponseStream extends Writable {
  /** @type {unknown} */
  metadata = undefined;
  bytes = 0;

  /**
   * @override
   * @param {Buffer} chunk
   * @param {BufferEncoding} _encoding
   * @param {(error?: Error | null) => void} callback
   */
  _write(chunk, _encoding, callback) {
    this.bytes += chunk.length;
    callback();
  }
}

// Bundles call awslambda.streamifyResponse at load time, so it exists before require(), as on Lambda.
Object.assign(globalThis, {
  awslambda: {
    /** @param {Function & { [STREAMING_HANDLER]?: string }} handler */
    streamifyResponse(handler) {
      handler[STREAMING_HANDLER] = "response";
      return handler;
    },
    HttpResponseStream: {
      /**
       * @param {CollectingResponseStream} stream
       * @param {unknown} metadata
       */
      from(stream, metadata) {
        stream.metadata = metadata;
        return stream;
      },
    },
  },
});

/** @param {unknown} result */
function outcomeOf(result) {
  if (result && typeof result === "object") {
    const record = /** @type {Record<string, unknown>} */ (result);
    if (typeof record.statusCode === "number") return `status ${record.statusCode}`;
    const policy = /** @type {{ Statement?: { Effect?: string }[] } | undefined} */ (record.policyDocument);
    if (policy?.Statement?.[0]?.Effect) return `policy ${policy.Statement[0].Effect}`;
  }
  return typeof result;
}

async function main() {
  const [bundlePath = "", exportName = "", eventPath = ""] = process.argv.slice(2);
  const event = JSON.parse(readFileSync(eventPath, "utf8"));
  const context = {
    awsRequestId: "00000000-0000-4000-8000-000000000000",
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? "bench",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:bench",
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? "1024",
    logGroupName: "/aws/lambda/bench",
    logStreamName: "bench",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 29_000,
  };

  // performance.now() counts from the process's time origin, so `loadStart` is Node's own start-up.
  const loadStart = performance.now();
  const handler = require(bundlePath)[exportName];
  const loaded = performance.now();
  let outcome;
  try {
    if (handler[STREAMING_HANDLER]) {
      const stream = new CollectingResponseStream();
      await handler(event, stream, context);
      await finished(stream);
      const metadata = /** @type {{ statusCode?: number } | undefined} */ (stream.metadata);
      outcome = `streamed status ${metadata?.statusCode ?? 200}, ${stream.bytes} bytes`;
    } else {
      outcome = outcomeOf(await handler(event, context));
    }
  } catch (error) {
    outcome = `error ${error instanceof Error ? error.message : String(error)}`;
  }
  const invoked = performance.now();

  const modules = Object.keys(require.cache).filter((path) => path !== __filename);
  const result = {
    startupMs: loadStart,
    loadMs: loaded - loadStart,
    firstInvokeMs: invoked - loaded,
    rssBytes: process.memoryUsage().rss,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    modules,
    outcome,
  };
  writeSync(3, JSON.stringify(result));
  // Lambda freezes the sandbox here; a client's open sockets must not keep the sample alive.
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
