/** Matches a request to an API Gateway resource and method: literal segments beat `{param}`, which beats `{proxy+}`. */
import type { ApiRoute } from "../template.ts";

export type RouteMatch =
  | { kind: "matched"; route: ApiRoute; pathParameters: Record<string, string> | null }
  | { kind: "method-not-allowed"; allowedMethods: string[] }
  | { kind: "not-found" };

interface ResourceMatch {
  /** Per template segment: 2 literal, 1 `{param}`, 0 `{greedy+}`; compared left to right. */
  specificity: number[];
  pathParameters: Record<string, string>;
}

const greedyParameter = /^\{(.+)\+\}$/;
const parameter = /^\{(.+)\}$/;

function segments(path: string): string[] {
  return path.split("/").slice(1);
}

/** Matches a raw request path against one resource path such as `/products/{id}` or `/files/{proxy+}`. */
function matchResource(resourcePath: string, requestSegments: string[]): ResourceMatch | undefined {
  const specificity: number[] = [];
  const pathParameters: Record<string, string> = {};
  const resourceSegments = segments(resourcePath);
  for (const [index, segment] of resourceSegments.entries()) {
    const greedy = greedyParameter.exec(segment);
    if (greedy?.[1]) {
      const rest = requestSegments.slice(index).join("/");
      if (rest === "") return undefined;
      pathParameters[greedy[1]] = rest;
      specificity.push(0);
      return { specificity, pathParameters };
    }
    const requestSegment = requestSegments[index];
    if (requestSegment === undefined) return undefined;
    const named = parameter.exec(segment);
    if (named?.[1]) {
      if (requestSegment === "") return undefined;
      pathParameters[named[1]] = requestSegment;
      specificity.push(1);
    } else if (segment === requestSegment) {
      specificity.push(2);
    } else {
      return undefined;
    }
  }
  return resourceSegments.length === requestSegments.length ? { specificity, pathParameters } : undefined;
}

function moreSpecific(a: number[], b: number[]): boolean {
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return difference > 0;
  }
  return a.length > b.length;
}

/**
 * Picks the resource first and the method second, as API Gateway does: a request whose best
 * resource lacks its method is refused, never handed to a less specific resource.
 *
 * @param path the raw (still percent-encoded) path, without the query string
 */
export function matchRoute(routes: ApiRoute[], method: string, path: string): RouteMatch {
  const requestSegments = segments(path);
  let best: { resourcePath: string; match: ResourceMatch } | undefined;
  for (const resourcePath of new Set(routes.map((route) => route.path))) {
    const match = matchResource(resourcePath, requestSegments);
    if (match && (!best || moreSpecific(match.specificity, best.match.specificity))) best = { resourcePath, match };
  }
  if (!best) return { kind: "not-found" };
  const { resourcePath, match } = best;
  const methods = routes.filter((route) => route.path === resourcePath);
  const route = methods.find((r) => r.method === method) ?? methods.find((r) => r.method === "ANY");
  if (!route) return { kind: "method-not-allowed", allowedMethods: methods.map((r) => r.method).sort() };
  const hasParameters = Object.keys(match.pathParameters).length > 0;
  return { kind: "matched", route, pathParameters: hasParameters ? match.pathParameters : null };
}
