/** Reads template.yaml for the local stack: CloudFormation tags, intrinsic functions, functions, routes. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type CollectionTag, parseDocument, type ScalarTag, type YAMLMap, type YAMLSeq } from "yaml";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const templatePath = `${repoRoot}template.yaml`;

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation documents are untyped JSON.
export type Json = any;

export interface Resource {
  Type: string;
  Properties?: Json;
  Metadata?: Json;
}

export interface Template {
  Parameters?: Record<string, { Default?: unknown }>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Globals?: { Function?: Json; Api?: Json };
  Resources: Record<string, Resource>;
}

const intrinsics = [
  "Ref",
  "GetAtt",
  "Sub",
  "Join",
  "Select",
  "Split",
  "If",
  "Equals",
  "Not",
  "And",
  "Or",
  "FindInMap",
  "Base64",
  "ImportValue",
  "GetAZs",
  "Condition",
];

function tagsFor(name: string): [ScalarTag, CollectionTag, CollectionTag] {
  const key = name === "Ref" || name === "Condition" ? name : `Fn::${name}`;
  const tag = `!${name}`;
  return [
    {
      tag,
      resolve: (value: string) => (name === "GetAtt" ? { [key]: value.split(".", 2) } : { [key]: value }),
    },
    { tag, collection: "seq", resolve: (seq: YAMLSeq) => ({ [key]: seq.toJSON() }) } as unknown as CollectionTag,
    { tag, collection: "map", resolve: (map: YAMLMap) => ({ [key]: map.toJSON() }) } as unknown as CollectionTag,
  ];
}

const customTags = intrinsics.flatMap(tagsFor);

/** Parses a CloudFormation/SAM YAML document into plain JSON with `{ "Fn::X": ... }` intrinsics. */
export function parseTemplate(text: string): Template {
  const doc = parseDocument(text, { customTags, uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(`template.yaml: ${doc.errors[0]?.message}`);
  return doc.toJSON() as Template;
}

export function loadTemplate(path = templatePath): Template {
  return parseTemplate(readFileSync(path, "utf8"));
}

/** What `Ref` and `Fn::GetAtt` resolve to in one environment (AWS or the local stack). */
export interface ResolveContext {
  parameters: Record<string, string>;
  pseudo: Record<string, string>;
  /** logical id -> what `!Ref` gives (table name, user pool id, ...) */
  refs: Record<string, string>;
  /** "LogicalId.Attribute" -> what `!GetAtt` gives */
  attributes: Record<string, string>;
  /** the template's Mappings, for `!FindInMap` */
  mappings?: Template["Mappings"];
}

function lookupRef(name: string, ctx: ResolveContext): string {
  const value = ctx.parameters[name] ?? ctx.pseudo[name] ?? ctx.refs[name];
  if (value === undefined) throw new Error(`template.yaml: cannot resolve Ref ${name} locally`);
  return value;
}

function lookupAttribute(name: string, ctx: ResolveContext): string {
  const value = ctx.attributes[name];
  if (value === undefined) throw new Error(`template.yaml: cannot resolve GetAtt ${name} locally`);
  return value;
}

function substitute(pattern: string, ctx: ResolveContext, extra: Record<string, string> = {}): string {
  return pattern
    .replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
      if (name in extra) return String(extra[name]);
      return name.includes(".") ? lookupAttribute(name, ctx) : lookupRef(name, ctx);
    })
    .replace(/\$\{!/g, "${"); // `${!Literal}` stands for the literal `${Literal}`
}

/** Resolves the intrinsic functions the local stack needs (Ref, GetAtt, Sub, Join, Select, Split). */
export function resolve(value: Json, ctx: ResolveContext): Json {
  if (Array.isArray(value)) return value.map((v) => resolve(v, ctx));
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const [key] = keys as [string];
    const arg = value[key];
    switch (key) {
      case "Ref":
        return lookupRef(arg, ctx);
      case "Fn::GetAtt":
        return lookupAttribute(Array.isArray(arg) ? arg.join(".") : arg, ctx);
      case "Fn::Sub":
        if (typeof arg === "string") return substitute(arg, ctx);
        return substitute(arg[0], ctx, resolve(arg[1], ctx));
      case "Fn::Join":
        return (resolve(arg[1], ctx) as string[]).join(arg[0]);
      case "Fn::Select":
        return (resolve(arg[1], ctx) as string[])[Number(resolve(arg[0], ctx))];
      case "Fn::Split":
        return String(resolve(arg[1], ctx)).split(arg[0]);
      case "Fn::FindInMap": {
        const [map, top, second] = resolve(arg, ctx) as [string, string, string];
        const value = ctx.mappings?.[map]?.[top]?.[second];
        if (value === undefined) throw new Error(`template.yaml: no mapping ${map}.${top}.${second}`);
        return value;
      }
    }
    if (key.startsWith("Fn::")) throw new Error(`template.yaml: ${key} is not supported by the local stack`);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, ctx)]));
}

export function resourcesOfType(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/** A function's properties with `Globals.Function` merged in, as SAM merges them. */
export function functionProperties(template: Template, logicalId: string): Json {
  const resource = template.Resources[logicalId];
  if (resource?.Type !== "AWS::Serverless::Function") throw new Error(`${logicalId} is not a function`);
  const globals = template.Globals?.Function ?? {};
  const own = resource.Properties ?? {};
  return {
    ...globals,
    ...own,
    Environment: {
      Variables: { ...globals.Environment?.Variables, ...own.Environment?.Variables },
    },
  };
}

export interface ApiRoute {
  functionId: string;
  eventId: string;
  method: string;
  /** API Gateway resource path, e.g. `/products/{id}` */
  path: string;
  streaming: boolean;
  /** authorizer name, or undefined when the route is public */
  authorizer: string | undefined;
  /** whether API Gateway needs a usage-plan key (from the authorizer) for this route */
  apiKeyRequired?: boolean;
}

/** Every `Type: Api` event of every function, with the authorizer that guards it. */
export function apiRoutes(template: Template): ApiRoute[] {
  const routes: ApiRoute[] = [];
  for (const [functionId, resource] of resourcesOfType(template, "AWS::Serverless::Function")) {
    for (const [eventId, event] of Object.entries<Json>(resource.Properties?.Events ?? {})) {
      if (event.Type !== "Api") continue;
      const props = event.Properties;
      const apiId = props.RestApiId?.Ref;
      const api = apiId ? template.Resources[apiId] : undefined;
      const defaultAuthorizer = api?.Properties?.Auth?.DefaultAuthorizer;
      const named = props.Auth?.Authorizer;
      const apiKeyRequired = props.Auth?.ApiKeyRequired ?? api?.Properties?.Auth?.ApiKeyRequired ?? false;
      routes.push({
        functionId,
        eventId,
        method: String(props.Method).toUpperCase(),
        path: props.Path,
        streaming: props.ResponseTransferMode === "RESPONSE_STREAM",
        authorizer: named === "NONE" ? undefined : (named ?? defaultAuthorizer),
        apiKeyRequired: apiKeyRequired === true,
      });
    }
  }
  return routes;
}

export interface AuthorizerConfig {
  name: string;
  functionId: string;
  identityHeaders: string[];
  ttlSeconds: Json;
}

/** The Lambda authorizers declared on `AWS::Serverless::Api` resources. */
export function authorizers(template: Template): AuthorizerConfig[] {
  return resourcesOfType(template, "AWS::Serverless::Api").flatMap(([, api]) =>
    Object.entries<Json>(api.Properties?.Auth?.Authorizers ?? {}).map(([name, a]) => ({
      name,
      functionId: a.FunctionArn["Fn::GetAtt"][0],
      identityHeaders: a.Identity?.Headers ?? ["Authorization"],
      ttlSeconds: a.Identity?.ReauthorizeEvery ?? 300,
    })),
  );
}
