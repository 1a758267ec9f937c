/** The HTTP responses the gateway produces itself, and RFC 9457 problem details for its errors. */
import { STATUS_CODES } from "node:http";

export interface GatewayHttpResponse {
  statusCode: number;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

/** An `application/problem+json` response (RFC 9457) with the status phrase as title. */
export function problemResponse(
  status: number,
  detail: string,
  headers: Record<string, string | string[]> = {},
): GatewayHttpResponse {
  const problem = { type: "about:blank", title: STATUS_CODES[status] ?? "Error", status, detail };
  return {
    statusCode: status,
    headers: { ...headers, "content-type": "application/problem+json" },
    body: JSON.stringify(problem),
  };
}
