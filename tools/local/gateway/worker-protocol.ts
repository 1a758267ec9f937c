/** The IPC messages between the gateway and a Lambda worker process (typed here, used by lambda-worker.mjs too). */

/** An error as Lambda reports it: `Runtime.*` for the runtime's own errors, the error's name otherwise. */
export interface LambdaError {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

/** What a streaming handler passes to `awslambda.HttpResponseStream.from`. */
export interface StreamMetadata {
  statusCode?: number;
  headers?: Record<string, string>;
  cookies?: string[];
}

/** Sent by the gateway: run the handler once. */
export interface InvokeMessage {
  type: "invoke";
  /** The event as JSON text, so the handler gets a fresh copy as it does on Lambda. */
  eventJson: string;
  awsRequestId: string;
  invokedFunctionArn: string;
  /** Epoch milliseconds at which the invocation times out. */
  deadlineMs: number;
}

/**
 * Sent by the gateway while a streamed response is being delivered: `bytes` more of the chunks it
 * received have reached the client, so the worker may send as many more.
 */
export interface StreamAckMessage {
  type: "stream-ack";
  bytes: number;
}

export type ParentToWorkerMessage = InvokeMessage | StreamAckMessage;

export type WorkerToParentMessage =
  /** The bundle loaded and the handler export is a function. */
  | { type: "ready" }
  /** The bundle or its handler could not be loaded; the worker exits after sending this. */
  | { type: "init-error"; error: LambdaError }
  /** A buffered handler returned; its result as JSON text (`null` for `undefined`). */
  | { type: "result"; payloadJson: string }
  /** A streaming handler returned and its response stream has finished. */
  | { type: "streamed" }
  | { type: "error"; error: LambdaError }
  /** Sent before the first body chunk of a streaming response. */
  | { type: "stream-metadata"; metadata: StreamMetadata }
  | { type: "stream-chunk"; chunk: Uint8Array }
  | { type: "stream-end" };
