import { describe, expect, it } from "vitest";
import { ApiProblemError, createTenantkitClient, ok } from "./client.ts";

/** A fetch that answers every request with `status` and `body`, recording the requests. */
function api(status: number, body: unknown, type = "application/json") {
  const requests: Request[] = [];
  const fetch = (async (request: Request) => {
    requests.push(request);
    return new Response(JSON.stringify(body), { status, headers: { "content-type": type } });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, requests };
}

describe("the typed client", () => {
  it("sends the bearer token and the typed query to the base URL", async () => {
    const { fetch, requests } = api(200, { items: [] });
    const client = createTenantkitClient({ baseUrl: "https://api.example.test/dev/", token: () => "t0k3n", fetch });

    const page = ok(await client.GET("/products", { params: { query: { limit: 5 } } }));

    expect(page.items).toEqual([]);
    expect(requests[0]?.url).toBe("https://api.example.test/dev/products?limit=5");
    expect(requests[0]?.headers.get("authorization")).toBe("Bearer t0k3n");
  });

  it("turns a problem+json answer into an ApiProblemError with the problem", async () => {
    const problem = { type: "about:blank", title: "Not Found", status: 404, detail: "product not found" };
    const { fetch } = api(404, problem, "application/problem+json");
    const client = createTenantkitClient({ baseUrl: "https://api.example.test", token: "t", fetch });

    const result = await client.GET("/products/{id}", {
      params: { path: { id: "0b6c1c55-2f1e-4a8e-9d43-7f3f0e7d2c11" } },
    });

    expect(() => ok(result)).toThrow(ApiProblemError);
    expect(() => ok(result)).toThrow("404 Not Found: product not found");
  });
});
