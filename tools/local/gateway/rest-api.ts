/** What the gateway takes from the template's `AWS::Serverless::Api`: id, stage, and its GatewayResponses. */
import { type Json, type ResolveContext, resolve, resourcesOfType, type Template } from "../template.ts";
import { regionAndAccount } from "./function-config.ts";
import { type GatewayHttpResponse, problemResponse } from "./http-response.ts";
import { type ApiRequest, requestHeader } from "./proxy-event.ts";

export interface RestApi {
  apiId: string;
  stage: string;
  region: string;
  accountId: string;
  /** `GatewayResponses` by response type (UNAUTHORIZED, ACCESS_DENIED, ...) */
  gatewayResponses: Record<string, Json>;
}

/**
 * Reads the template's REST API (the local gateway serves one). Its id is what `!Ref Api` resolves
 * to in `resolveContext`, else `local`; the stage is its resolved `StageName` unless given.
 */
export function readRestApi(template: Template, resolveContext: ResolveContext, stage?: string): RestApi {
  const [logicalId, api] = resourcesOfType(template, "AWS::Serverless::Api")[0] ?? [];
  const properties = { ...template.Globals?.Api, ...api?.Properties };
  return {
    apiId: (logicalId && resolveContext.refs[logicalId]) || "local",
    stage: stage ?? String(resolve(properties.StageName ?? "local", resolveContext)),
    ...regionAndAccount(resolveContext),
    gatewayResponses: { ...template.Globals?.Api?.GatewayResponses, ...api?.Properties?.GatewayResponses },
  };
}

/**
 * The headers of a gateway response: static values are written `"'value'"`, and
 * `method.request.header.<name>` copies a header of the request (none when the request lacks it).
 * Any other mapping is one the local gateway cannot evaluate, and is left out.
 */
function responseHeaders(headers: Record<string, unknown>, request: ApiRequest | undefined): Record<string, string> {
  const answered: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== "string") continue;
    const copied = /^method\.request\.header\.(.+)$/s.exec(value)?.[1];
    const headerValue = /^'.*'$/s.test(value)
      ? value.slice(1, -1)
      : copied && request
        ? requestHeader(request, copied)
        : undefined;
    if (headerValue !== undefined) answered[name.toLowerCase()] = headerValue;
  }
  return answered;
}

/** An answer the gateway makes itself: one of API Gateway's gateway response types. */
export interface GatewayRefusal {
  /** the gateway response type, e.g. `THROTTLED`, `DEFAULT_5XX` */
  type: string;
  /** the status when the template does not set one */
  status: number;
  /** what went wrong; the template's `$context.error.messageString` */
  detail: string;
}

/**
 * The response API Gateway sends for a gateway response type: as the template's
 * `GatewayResponses` customises it (only its headers, as in AWS; `$context.error.messageString` in
 * the body is the detail, quoted), else a problem+json with `status` and `detail`.
 */
export function gatewayResponse(api: RestApi, refusal: GatewayRefusal, request?: ApiRequest): GatewayHttpResponse {
  const { type, status, detail } = refusal;
  const fallback = problemResponse(status, detail);
  // A type the template does not customise takes its default of the status class, as in AWS.
  const configured = api.gatewayResponses[type] ?? api.gatewayResponses[status >= 500 ? "DEFAULT_5XX" : "DEFAULT_4XX"];
  if (!configured) return fallback;
  const template = configured.ResponseTemplates?.["application/json"];
  return {
    statusCode: Number(configured.StatusCode ?? status),
    headers: {
      "content-type": "application/problem+json",
      ...responseHeaders(configured.ResponseParameters?.Headers ?? {}, request),
    },
    body:
      typeof template === "string"
        ? template.replaceAll("$context.error.messageString", JSON.stringify(detail))
        : fallback.body,
  };
}
