/**
 * CloudFormation refuses a template whose resources depend on each other in a circle, and only at
 * deploy time (moto and the local stack do not mind). The dependencies, as CloudFormation will see
 * them after SAM's transform: a resource depends on what its properties name (`Ref`, `Fn::GetAtt`,
 * `Fn::Sub`) and on `DependsOn`; the API depends on each function one of its routes invokes (SAM
 * writes the function into the API's definition), while a function's `Events` name the API
 * without depending on it.
 */
import { describe, expect, it } from "vitest";
import { type Json, loadTemplate } from "../../tools/local/template.ts";

const { Resources: resources } = loadTemplate();
const ids = new Set(Object.keys(resources));

/** The resources a value names, wherever it names them. */
function named(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) named(item, found);
  else if (typeof value === "object" && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === "Ref" && typeof inner === "string" && ids.has(inner)) found.add(inner);
      else if (key === "Fn::GetAtt") {
        const target = Array.isArray(inner) ? inner[0] : String(inner).split(".")[0];
        if (typeof target === "string" && ids.has(target)) found.add(target);
      } else if (key === "Fn::Sub") {
        const text = Array.isArray(inner) ? inner[0] : inner;
        for (const [, name] of String(text).matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}/g)) {
          if (name && ids.has(name)) found.add(name);
        }
        if (Array.isArray(inner)) named(inner[1], found);
      } else named(inner, found);
    }
  }
  return found;
}

function dependencies(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const [id, resource] of Object.entries<Json>(resources)) {
    const { Events, ...properties } = resource.Properties ?? {};
    const on = named(properties);
    for (const dependsOn of [resource.DependsOn ?? []].flat()) on.add(dependsOn);
    graph.set(id, on);
    // A route makes the API depend on the function it invokes.
    for (const event of Object.values<Json>(Events ?? {})) {
      if (event.Type !== "Api") continue;
      const api = event.Properties?.RestApiId?.Ref;
      if (api) graph.set(api, new Set([...(graph.get(api) ?? []), id]));
    }
  }
  return graph;
}

describe("template.yaml's dependencies", () => {
  it("have no circle, which CloudFormation would refuse at deploy time", () => {
    const graph = dependencies();
    const circles: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    const visit = (id: string, path: string[]) => {
      if (state.get(id) === "done") return;
      if (state.get(id) === "visiting") {
        circles.push([...path.slice(path.indexOf(id)), id].join(" -> "));
        return;
      }
      state.set(id, "visiting");
      for (const next of graph.get(id) ?? []) visit(next, [...path, id]);
      state.set(id, "done");
    };
    for (const id of graph.keys()) visit(id, []);
    expect(circles).toEqual([]);
  });

  it("see the API depend on the functions of its routes (the rule the first test relies on)", () => {
    expect([...(dependencies().get("Api") ?? [])]).toEqual(
      expect.arrayContaining(["ProductsFunction", "TenantsFunction"]),
    );
  });
});
