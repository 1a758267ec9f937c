/** The products service: catalogue CRUD (ETags, `If-Match` on replace), cursor pagination and a streamed NDJSON export. */

import { createServiceApp } from "@tenantkit/shared/service-app";
import { ndjsonResponse, requireEnv, type TenantContextOptions, type TenantEnv } from "@tenantkit/tenant-context";
import type { Context } from "hono";
import { etagOf, IF_MATCH_HEADER, parseIfMatch } from "./preconditions.ts";
import { createProductStore, type ProductStore } from "./product-store.ts";
import {
  createProductRoute,
  deleteProductRoute,
  exportProductsRoute,
  getProductRoute,
  listProductsRoute,
  replaceProductRoute,
} from "./routes.ts";
import { createProduct } from "./use-cases/create-product.ts";
import { deleteProduct } from "./use-cases/delete-product.ts";
import { exportProducts } from "./use-cases/export-products.ts";
import { getProduct } from "./use-cases/get-product.ts";
import { listProducts } from "./use-cases/list-products.ts";
import { replaceProduct } from "./use-cases/replace-product.ts";

const products = (c: Context<TenantEnv>): ProductStore => createProductStore(c.var.data.table("products"));

/** Builds the app; tests pass their own tenant-context options (fakes), Lambda uses the environment. */
export function createProductsApp(
  options: TenantContextOptions = { tables: { products: requireEnv("PRODUCTS_TABLE") } },
) {
  const app = createServiceApp(options);

  app.openapi(createProductRoute, async (c) => {
    const product = await createProduct(products(c), c.req.valid("json"));
    c.header("Location", `/products/${product.id}`);
    c.header("ETag", etagOf(product.version));
    return c.json(product, 201);
  });

  app.openapi(listProductsRoute, async (c) => c.json(await listProducts(products(c), c.req.valid("query")), 200));

  // Declared before /products/{id} so that "export" is not taken for an id. A stream is not a
  // typed JSON response, so the route is documented and handled separately.
  app.openAPIRegistry.registerPath(exportProductsRoute);
  app.get("/products/export", (c) => ndjsonResponse(c, exportProducts(products(c))));

  app.openapi(getProductRoute, async (c) => {
    const product = await getProduct(products(c), c.req.valid("param").id);
    c.header("ETag", etagOf(product.version));
    return c.json(product, 200);
  });

  app.openapi(replaceProductRoute, async (c) => {
    // Before any data access: a replace without If-Match is 428, a malformed one 400.
    const ifMatch = parseIfMatch(c.req.valid("header")[IF_MATCH_HEADER.toLowerCase()]);
    const product = await replaceProduct(products(c), c.req.valid("param").id, c.req.valid("json"), ifMatch);
    c.header("ETag", etagOf(product.version));
    return c.json(product, 200);
  });

  app.openapi(deleteProductRoute, async (c) => {
    await deleteProduct(products(c), c.req.valid("param").id);
    return c.body(null, 204);
  });

  return app;
}
