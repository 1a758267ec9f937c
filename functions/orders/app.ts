/** The orders service: idempotent placement with stock reserved atomically, cancel, listing and a streamed export. */
import { createServiceApp } from "@tenantkit/shared/service-app";
import {
  createEventPublisher,
  IDEMPOTENCY_HEADER,
  type IdempotentRequestsOptions,
  idempotentRequests,
  ndjsonResponse,
  requireEnv,
  type TenantContextOptions,
  type TenantEnv,
} from "@tenantkit/tenant-context";
import type { Context } from "hono";
import { createOrderStore, type OrderStore } from "./order-store.ts";
import { cancelOrderRoute, exportOrdersRoute, getOrderRoute, listOrdersRoute, placeOrderRoute } from "./routes.ts";
import { cancelOrder } from "./use-cases/cancel-order.ts";
import { exportOrders } from "./use-cases/export-orders.ts";
import { getOrder } from "./use-cases/get-order.ts";
import { listOrders } from "./use-cases/list-orders.ts";
import { placeOrder } from "./use-cases/place-order.ts";

const orders = (c: Context<TenantEnv>): OrderStore =>
  createOrderStore({ orders: c.var.data.table("orders"), products: c.var.data.table("products") });

/** The orders service's event source; template.yaml's AuditEventsRule matches on it. */
export const ORDERS_EVENT_SOURCE = "tenantkit.orders";

export interface OrdersAppOptions extends TenantContextOptions {
  idempotency?: IdempotentRequestsOptions;
}

/** Everything from the environment, read once at cold start. */
function fromEnvironment(): OrdersAppOptions {
  return {
    tables: {
      orders: requireEnv("ORDERS_TABLE"),
      products: requireEnv("PRODUCTS_TABLE"),
      outbox: requireEnv("OUTBOX_TABLE"),
    },
    events: { publisher: createEventPublisher({ source: ORDERS_EVENT_SOURCE }), outboxTable: "outbox" },
    idempotency: { tableName: requireEnv("IDEMPOTENCY_TABLE") },
  };
}

/** Builds the app; tests pass their own options (fakes, moto), Lambda uses the environment. */
export function createOrdersApp(options: OrdersAppOptions = fromEnvironment()) {
  const { idempotency, ...tenantContextOptions } = options;
  const app = createServiceApp(tenantContextOptions);

  // Runs before the route's validators: a repeated request is answered from the store as it was.
  app.post("/orders", idempotentRequests(idempotency));
  app.openapi(placeOrderRoute, async (c) => {
    const order = await placeOrder({ store: orders(c), events: c.var.events }, c.req.valid("json"), {
      idempotencyKey: c.req.valid("header")[IDEMPOTENCY_HEADER.toLowerCase()],
    });
    c.header("Location", `/orders/${order.id}`);
    return c.json(order, 201);
  });

  app.openapi(listOrdersRoute, async (c) => c.json(await listOrders(orders(c), c.req.valid("query")), 200));

  // Declared before /orders/{id} so that "export" is not taken for an id.
  app.openAPIRegistry.registerPath(exportOrdersRoute);
  app.get("/orders/export", (c) => ndjsonResponse(c, exportOrders(orders(c))));

  app.openapi(getOrderRoute, async (c) => c.json(await getOrder(orders(c), c.req.valid("param").id), 200));

  app.openapi(cancelOrderRoute, async (c) =>
    c.json(await cancelOrder({ store: orders(c), events: c.var.events }, c.req.valid("param").id), 200),
  );

  return app;
}
