/** What the gateway takes from the template's `AWS::Serverless::Api`: id, stage, and its GatewayResponses. */
import { type Json, type ResolveContext, resolve, resourcesOfType, type Template } from "../template.ts";
import { regionAndAccount } from "./function-config.ts";
import { type GatewayHttpResponse, problemResponse } from "./http-response.ts";

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

/** Static header values are written `"'value'"` in GatewayResponses; anything else is a mapping we cannot evaluate. */
function staticHeaders(headers: Record<string, unknown> = {}): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).flatMap(([name, value]) =>
      typeof value === "string" && /^'.*'$/s.test(value) ? [[name.toLowerCase(), value.slice(1, -1)]] : [],
    ),
  );
}

/**
 * The response API Gateway sends for a gateway response type, customised by the template's
 * `GatewayResponses`, or a problem+json with `status` and `detail` when the template has none.
 */
export function gatewayResponse(api: RestApi, type: string, status: number, detail: string): GatewayHttpResponse {
  const fallback = problemResponse(status, detail);
  const configured = api.gatewayResponses[type];
  if (!configured) return fallback;
  return {
    statusCode: Number(configured.StatusCode ?? status),
    headers: { ...fallback.headers, ...staticHeaders(configured.ResponseParameters?.Headers) },
    body: configured.ResponseTemplates?.["application/json"] ?? fallback.body,
  };
}
