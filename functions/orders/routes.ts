/** The orders API as OpenAPI route definitions: paths, inputs, outputs. */
import { createRoute, z } from "@hono/zod-openapi";
import {
  bearerSecurity,
  IdParams,
  jsonResponse,
  locationHeader,
  problemResponse,
  problemResponses,
} from "@tenantkit/shared/schemas";
import { IDEMPOTENCY_HEADER } from "@tenantkit/tenant-context";
import { Order, OrderInput, OrderListQuery, OrderPage } from "./order.ts";

/** Documents the header; the idempotency middleware checks it (400 naming it when missing or malformed). */
const IdempotencyHeaders = z.object({
  // Hono hands header validators lower-cased names.
  [IDEMPOTENCY_HEADER.toLowerCase()]: z
    .string()
    .min(1)
    .max(255)
    .openapi({
      // The same lower-cased name as the key (header names are case-insensitive; a different spelling is a conflict).
      param: { name: IDEMPOTENCY_HEADER.toLowerCase(), in: "header", required: true },
      description:
        "A key of the client's choosing (a UUID, say); retrying with the same key and body places no second order",
    }),
});

export const placeOrderRoute = createRoute({
  method: "post",
  path: "/orders",
  security: bearerSecurity,
  request: {
    headers: IdempotencyHeaders,
    body: { required: true, content: { "application/json": { schema: OrderInput } } },
  },
  responses: {
    201: {
      ...jsonResponse(Order, "The order, priced from the catalogue, with its stock reserved"),
      headers: z.object({
        Location: locationHeader("order", "/orders/0193f3c4-5e1a-7b2c-9d3e-4f5a6b7c8d9e"),
      }),
    },
    ...problemResponses,
    409: problemResponse(
      "Not enough stock (the problem names `productId`), or a request with this key is still running",
    ),
    422: problemResponse("This Idempotency-Key was used with a different body"),
  },
});

export const listOrdersRoute = createRoute({
  method: "get",
  path: "/orders",
  security: bearerSecurity,
  request: { query: OrderListQuery },
  responses: { 200: jsonResponse(OrderPage, "One page of orders, newest first"), ...problemResponses },
});

export const exportOrdersRoute = createRoute({
  method: "get",
  path: "/orders/export",
  security: bearerSecurity,
  responses: {
    200: {
      description: "Every order, newest first, one JSON object per line, streamed",
      content: { "application/x-ndjson": { schema: Order } },
    },
    ...problemResponses,
  },
});

export const getOrderRoute = createRoute({
  method: "get",
  path: "/orders/{id}",
  security: bearerSecurity,
  request: { params: IdParams },
  responses: { 200: jsonResponse(Order, "The order"), ...problemResponses },
});

export const cancelOrderRoute = createRoute({
  method: "post",
  path: "/orders/{id}/cancel",
  security: bearerSecurity,
  request: { params: IdParams },
  responses: {
    200: jsonResponse(Order, "The cancelled order; its stock is back in the catalogue"),
    ...problemResponses,
    409: problemResponse("The order is already cancelled"),
  },
});
