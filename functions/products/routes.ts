/** The products API as OpenAPI route definitions: paths, inputs, outputs. */
import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, IdParams, jsonResponse, PageQuery, problemResponses } from "@tenantkit/shared/schemas";
import { Product, ProductInput, ProductPage } from "./product.ts";

const body = { required: true, content: { "application/json": { schema: ProductInput } } };

export const createProductRoute = createRoute({
  method: "post",
  path: "/products",
  security: bearerSecurity,
  request: { body },
  responses: { 201: jsonResponse(Product, "The created product"), ...problemResponses },
});

export const listProductsRoute = createRoute({
  method: "get",
  path: "/products",
  security: bearerSecurity,
  request: { query: PageQuery },
  responses: { 200: jsonResponse(ProductPage, "One page of products"), ...problemResponses },
});

export const exportProductsRoute = createRoute({
  method: "get",
  path: "/products/export",
  security: bearerSecurity,
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
  security: bearerSecurity,
  request: { params: IdParams },
  responses: { 200: jsonResponse(Product, "The product"), ...problemResponses },
});

export const replaceProductRoute = createRoute({
  method: "put",
  path: "/products/{id}",
  security: bearerSecurity,
  request: { params: IdParams, body },
  responses: { 200: jsonResponse(Product, "The product as replaced"), ...problemResponses },
});

export const deleteProductRoute = createRoute({
  method: "delete",
  path: "/products/{id}",
  security: bearerSecurity,
  request: { params: IdParams },
  responses: { 204: { description: "Deleted" }, ...problemResponses },
});
