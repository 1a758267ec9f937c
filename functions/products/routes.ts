/** The products API as OpenAPI route definitions: paths, inputs, outputs. */
import { createRoute, z } from "@hono/zod-openapi";
import {
  bearerSecurity,
  IdParams,
  jsonResponse,
  locationHeader,
  PageQuery,
  problemResponse,
  problemResponses,
} from "@tenantkit/shared/schemas";
import { IF_MATCH_HEADER } from "./preconditions.ts";
import { Product, ProductInput, ProductPage } from "./product.ts";

const body = { required: true, content: { "application/json": { schema: ProductInput } } };

const etag = z.string().openapi({
  description: "The product's version as a strong entity tag; send it as `If-Match` to replace the product",
  example: '"3"',
});

/**
 * Documents the header as required; the handler checks it (428 when missing, 400 when malformed,
 * 412 when stale), so zod lets a missing one through rather than answer 400.
 */
const IfMatchHeaders = z.object({
  // Hono hands header validators lower-cased names.
  [IF_MATCH_HEADER.toLowerCase()]: z
    .string()
    .optional()
    .openapi({
      param: { name: IF_MATCH_HEADER.toLowerCase(), in: "header", required: true },
      description:
        "The `ETag` of the product as the client read it (or `*` for whatever version is current): " +
        "the product is replaced only if it is still at that version",
      example: '"3"',
    }),
});

export const createProductRoute = createRoute({
  method: "post",
  path: "/products",
  security: bearerSecurity,
  request: { body },
  responses: {
    201: {
      ...jsonResponse(Product, "The created product"),
      headers: z.object({
        Location: locationHeader("product", "/products/0b6c1c55-2f1e-4a8e-9d43-7f3f0e7d2c11"),
        ETag: etag,
      }),
    },
    ...problemResponses,
  },
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
  responses: {
    200: { ...jsonResponse(Product, "The product"), headers: z.object({ ETag: etag }) },
    ...problemResponses,
  },
});

export const replaceProductRoute = createRoute({
  method: "put",
  path: "/products/{id}",
  security: bearerSecurity,
  request: { params: IdParams, headers: IfMatchHeaders, body },
  responses: {
    200: { ...jsonResponse(Product, "The product as replaced"), headers: z.object({ ETag: etag }) },
    ...problemResponses,
    409: problemResponse("`If-Match: *` and the product changed or was deleted while being replaced; retry"),
    412: problemResponse(
      "The product is no longer at the version `If-Match` names (an order took stock since it was read, say); " +
        "nothing was written: read it again and reapply the change",
    ),
    428: problemResponse("No `If-Match` header: send the `ETag` of the product as read"),
  },
});

export const deleteProductRoute = createRoute({
  method: "delete",
  path: "/products/{id}",
  security: bearerSecurity,
  request: { params: IdParams },
  responses: { 204: { description: "Deleted" }, ...problemResponses },
});
