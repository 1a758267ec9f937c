/** The products API as OpenAPI route definitions: paths, inputs, outputs. */
import { createRoute, type z } from "@hono/zod-openapi";
import { IdParams, PageQuery, problemResponses } from "@tenantkit/shared/schemas";
import { Product, ProductInput, ProductPage } from "./product.ts";

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const body = { required: true, content: { "application/json": { schema: ProductInput } } };
const security = [{ bearerAuth: [] }];

export const createProductRoute = createRoute({
  method: "post",
  path: "/products",
  security,
  request: { body },
  responses: { 201: json(Product, "The created product"), ...problemResponses },
});

export const listProductsRoute = createRoute({
  method: "get",
  path: "/products",
  security,
  request: { query: PageQuery },
  responses: { 200: json(ProductPage, "One page of products"), ...problemResponses },
});

export const exportProductsRoute = createRoute({
  method: "get",
  path: "/products/export",
  security,
  responses: {
    200: {
      description: "Every product, one JSON object per line, streamed",
      content: { "application/x-ndjson": { schema: Product } },
    },
    ...problemResponses,
  },
});

export const getProductRoute = createRoute({
  method: "get",
  path: "/products/{id}",
  security,
  request: { params: IdParams },
  responses: { 200: json(Product, "The product"), ...problemResponses },
});

export const replaceProductRoute = createRoute({
  method: "put",
  path: "/products/{id}",
  security,
  request: { params: IdParams, body },
  responses: { 200: json(Product, "The product as replaced"), ...problemResponses },
});

export const deleteProductRoute = createRoute({
  method: "delete",
  path: "/products/{id}",
  security,
  request: { params: IdParams },
  responses: { 204: { description: "Deleted" }, ...problemResponses },
});
