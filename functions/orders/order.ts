/** The order: what a client may send, what the API returns. Prices come from the catalogue, never from the client. */
import { z } from "@hono/zod-openapi";
import { PageQuery } from "@tenantkit/shared/schemas";

export const ORDER_STATUSES = ["PLACED", "CANCELLED"] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** One transaction holds the order, one stock update per line, the Idempotency-Key's marker and the outbox record (DynamoDB allows 100). */
export const MAX_ORDER_LINES = 50;
export const MAX_LINE_QUANTITY = 1000;

const OrderLineInput = z.object({
  productId: z.uuid({ error: "must be a UUID" }),
  quantity: z
    .number({ error: "must be a number" })
    .int({ error: "must be a whole number" })
    .min(1, { error: "must be at least 1" })
    .max(MAX_LINE_QUANTITY, { error: `must be at most ${MAX_LINE_QUANTITY}` }),
});

export const OrderInput = z
  .object({
    items: z
      .array(OrderLineInput, { error: "must be a list of { productId, quantity }" })
      .min(1, { error: "must list at least one item" })
      .max(MAX_ORDER_LINES, { error: `must list at most ${MAX_ORDER_LINES} items` }),
  })
  .superRefine(({ items }, ctx) => {
    const seen = new Set<string>();
    items.forEach(({ productId }, i) => {
      if (seen.has(productId)) {
        ctx.addIssue({
          code: "custom",
          path: ["items", i, "productId"],
          message: "appears more than once; order it once with the total quantity",
        });
      }
      seen.add(productId);
    });
  })
  .openapi("OrderInput");
export type OrderInput = z.infer<typeof OrderInput>;

export const OrderLine = z
  .object({
    productId: z.uuid(),
    name: z.string(),
    sku: z.string().optional(),
    quantity: z.number().int(),
    /** the catalogue's price when the order was placed */
    unitPriceCents: z.number().int(),
    lineTotalCents: z.number().int(),
  })
  .openapi("OrderLine");
export type OrderLine = z.infer<typeof OrderLine>;

export const Order = z
  .object({
    id: z.uuid(),
    status: z.enum(ORDER_STATUSES),
    items: z.array(OrderLine),
    totalCents: z.number().int(),
    currency: z.string(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    cancelledAt: z.iso.datetime().optional(),
  })
  .openapi("Order");
export type Order = z.infer<typeof Order>;

export const OrderPage = z.object({ items: z.array(Order), nextCursor: z.string().optional() }).openapi("OrderPage");
export type OrderPage = z.infer<typeof OrderPage>;

/** `?limit=&cursor=&status=` of GET /orders. */
export const OrderListQuery = PageQuery.extend({
  status: z
    .enum(ORDER_STATUSES, { error: `must be one of ${ORDER_STATUSES.join(", ")}` })
    .optional()
    .openapi({ param: { name: "status", in: "query" } }),
});
export type OrderListQuery = z.infer<typeof OrderListQuery>;
