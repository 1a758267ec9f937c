// A Lambda-like Node.js runtime for one function bundle, run by the local gateway in a forked child process.
// Usage: fork("lambda-worker.mjs", [bundlePath, exportName]); then one `invoke` message at a time over IPC.
import { createRequire } from "node:module";
import { Writable } from "node:stream";
import { finished } from "node:stream/promises";

/**
 * @typedef {import("./worker-protocol.ts").WorkerToParentMessage} WorkerToParentMessage
 * @typedef {import("./worker-protocol.ts").InvokeMessage} InvokeMessage
 * @typedef {import("./worker-protocol.ts").ParentToWorkerMessage} ParentToWorkerMessage
 * @typedef {import("./worker-protocol.ts").LambdaError} LambdaError
 * @typedef {import("./worker-protocol.ts").StreamMetadata} StreamMetadata
 * @typedef {(event: unknown, contextOrStream: unknown, context?: unknown) => unknown} Handler
 */

/** The marker the AWS runtime itself uses, so code that checks it behaves the same here. */
const STREAMING_HANDLER = Symbol.for("aws.lambda.runtime.handler.streaming");

/**
 * @param {WorkerToParentMessage} message
 * @returns {Promise<void>}
 */
function send(message) {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error("lambda-worker.mjs must be started with child_process.fork"));
    process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * @param {unknown} error
 * @returns {LambdaError}
 */
function toLambdaError(error) {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: error.stack?.split("\n") ?? [] };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

/**
 * How many bytes of a streamed response may be on their way to the client at once. Past that, a
 * write waits until the gateway says the client has taken them, so that a slow client (or Lambda's
 * bandwidth cap, which the gateway applies) slows the handler as it does on Lambda.
 */
const STREAM_WINDOW_BYTES = 256 * 1024;

/** The response stream of the invocation in progress, which the gateway's acknowledgements are for. */
/** @type {LambdaResponseStream | undefined} */
let activeStream;

/** The `responseStream` of a streaming handler: every chunk goes to the gateway as soon as it is written. */
class LambdaResponseStream extends Writable {
  /** @type {StreamMetadata | undefined} */
  #metadata;
  #metadataSent = false;
  /** bytes sent that the gateway has not yet acknowledged */
  #unacknowledged = 0;
  /** the write waiting for acknowledgements, if the window is full */
  /** @type {(() => void) | undefined} */
  #resume;

  /** @param {number} bytes */
  acknowledge(bytes) {
    this.#unacknowledged -= bytes;
    if (this.#unacknowledged > STREAM_WINDOW_BYTES) return;
    const resume = this.#resume;
    this.#resume = undefined;
    resume?.();
  }

  /** @param {StreamMetadata} metadata */
  setHttpMetadata(metadata) {
    this.#metadata = metadata;
  }

  // Like the AWS runtime, the metadata goes out with the first write (even an empty one), and only
  // then: a stream that is only ended sends none (aws-lambda-nodejs-runtime-interface-client#97).
  #sendMetadataOnce() {
    if (this.#metadataSent || this.#metadata === undefined) return;
    this.#metadataSent = true;
    void send({ type: "stream-metadata", metadata: this.#metadata });
  }

  /**
   * @override
   * @param {Buffer} chunk
   * @param {BufferEncoding} _encoding
   * @param {(error?: Error | null) => void} callback
   */
  _write(chunk, _encoding, callback) {
    this.#sendMetadataOnce();
    this.#unacknowledged += chunk.length;
    send({ type: "stream-chunk", chunk: new Uint8Array(chunk) }).then(() => {
      if (this.#unacknowledged > STREAM_WINDOW_BYTES) this.#resume = () => callback();
      else callback();
    }, callback);
  }

  /**
   * @override
   * @param {(error?: Error | null) => void} callback
   */
  _final(callback) {
    send({ type: "stream-end" }).then(() => callback(), callback);
  }
}

const HttpResponseStream = {
  /**
   * @param {LambdaResponseStream} responseStream
   * @param {StreamMetadata} metadata
   */
  from(responseStream, metadata) {
    responseStream.setHttpMetadata(metadata);
    return responseStream;
  },
};

/** @param {Handler & { [STREAMING_HANDLER]?: string }} handler */
function streamifyResponse(handler) {
  handler[STREAMING_HANDLER] = "response";
  return handler;
}

/** @param {InvokeMessage} invocation */
function createLambdaContext({ awsRequestId, invokedFunctionArn, deadlineMs }) {
  return {
    awsRequestId,
    invokedFunctionArn,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
  };
}

/**
 * Loads the bundle as Lambda does, with `awslambda` installed first because bundles use it at load time.
 * @param {string} bundlePath
 * @param {string} exportName
 * @returns {Handler}
 */
function loadHandler(bundlePath, exportName) {
  Object.assign(globalThis, { awslambda: { streamifyResponse, HttpResponseStream } });
  let bundle;
  try {
    bundle = createRequire(bundlePath)(bundlePath);
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "MODULE_NOT_FOUND") {
      error.name = "Runtime.ImportModuleError";
    }
    throw error;
  }
  const handler = bundle?.[exportName];
  if (typeof handler !== "function") {
    const message = `${bundlePath}: export '${exportName}' is undefined or not a function`;
    throw Object.assign(new Error(message), { name: "Runtime.HandlerNotFound" });
  }
  return handler;
}

/**
 * @param {Handler} handler
 * @param {unknown} event
 * @param {ReturnType<typeof createLambdaContext>} context
 */
async function invokeStreaming(handler, event, context) {
  const responseStream = new LambdaResponseStream();
  activeStream = responseStream;
  await handler(event, responseStream, context);
  if (!responseStream.writableEnded) throw new Error("Response stream is not finished.");
  await finished(responseStream);
  await send({ type: "streamed" });
}

/** Lambda's limit on a synchronous invocation's response: 6 MB and 100 bytes. */
const MAX_RESPONSE_PAYLOAD_BYTES = 6 * 1024 * 1024 + 100;

/** What Lambda's runtime logs and reports when it cannot post a response that large (API Gateway then answers 502). */
async function refuseLargeResponse() {
  /** @type {LambdaError} */
  const error = {
    errorType: "RequestEntityTooLarge",
    errorMessage: `Exceeded maximum allowed payload size (${MAX_RESPONSE_PAYLOAD_BYTES} bytes).`,
    trace: [],
  };
  console.error(
    `LAMBDA_RUNTIME Failed to post handler success response. Http response code: 413. ${JSON.stringify(error)}`,
  );
  await send({ type: "error", error });
}

/**
 * @param {Handler & { [STREAMING_HANDLER]?: string }} handler
 * @param {InvokeMessage} invocation
 */
async function invoke(handler, invocation) {
  const event = JSON.parse(invocation.eventJson);
  const context = createLambdaContext(invocation);
  try {
    if (handler[STREAMING_HANDLER]) return await invokeStreaming(handler, event, context);
    const result = await handler(event, context);
    const payloadJson = JSON.stringify(result ?? null);
    if (Buffer.byteLength(payloadJson) > MAX_RESPONSE_PAYLOAD_BYTES) return await refuseLargeResponse();
    await send({ type: "result", payloadJson });
  } catch (error) {
    const lambdaError = toLambdaError(error);
    console.error("Invoke Error", JSON.stringify(lambdaError));
    await send({ type: "error", error: lambdaError });
  }
}

const [bundlePath = "", exportName = ""] = process.argv.slice(2);
// Without the gateway there is nobody to answer: exit rather than linger as an orphan.
process.on("disconnect", () => process.exit(0));
try {
  const handler = loadHandler(bundlePath, exportName);
  process.on("message", (/** @type {ParentToWorkerMessage} */ message) => {
    if (message.type === "stream-ack") activeStream?.acknowledge(message.bytes);
    else void invoke(handler, message);
  });
  await send({ type: "ready" });
} catch (error) {
  const lambdaError = toLambdaError(error);
  console.error("Init Error", JSON.stringify(lambdaError));
  await send({ type: "init-error", error: lambdaError });
  process.exit(1);
}
