import { createEventPublisher, readTenantEvent, type StagedEvent, type TenantEvents } from "@tenantkit/tenant-context";
import { describe, expect, it } from "vitest";
import { createInMemoryOrderStore } from "../../functions/orders/in-memory-order-store.ts";
import { placeOrder } from "../../functions/orders/use-cases/place-order.ts";
import { apiRoutes, functionProperties, loadTemplate } from "../../tools/local/template.ts";
import { readSample, SAMPLES, type Sample, sampleFiles, shapeOf } from "./samples.ts";

const template = loadTemplate();
const samplesOf = (kind: Sample["kind"]) => SAMPLES.filter((sample) => sample.kind === kind);
const eventsOf = (functionId: string) =>
  Object.values<{ Type: string }>(template.Resources[functionId]?.Properties?.Events ?? {});

/** The data the orders service puts in OrderPlaced, taken from the real use case. */
async function orderPlacedData(): Promise<{ type: string; data: object }> {
  const product = { id: crypto.randomUUID(), name: "Lamp", sku: "L-1", priceCents: 4500, currency: "EUR", stock: 5 };
  const staged: { type: string; data: object }[] = [];
  const events: Pick<TenantEvents, "stage"> = {
    stage<T extends object>(type: string, data: T): StagedEvent<T> {
      staged.push({ type, data });
      return { publish: async () => true, write: {} } as unknown as StagedEvent<T>;
    },
  };
  await placeOrder(
    { store: createInMemoryOrderStore([product]), events },
    { items: [{ productId: product.id, quantity: 2 }] },
  );
  return staged[0] as { type: string; data: object };
}

describe("the sample events in events/", () => {
  it("are each run by a test: every file is in the catalogue and every entry has a file", () => {
    expect(sampleFiles().sort()).toEqual(SAMPLES.map((sample) => sample.file).sort());
  });

  it("name functions of template.yaml", () => {
    for (const { file, functionId } of SAMPLES) {
      expect(template.Resources[functionId]?.Type, file).toBe("AWS::Serverless::Function");
    }
  });

  it("of API Gateway are REST proxy events for a route of their function, streamed where the route streams", () => {
    for (const { file, functionId } of samplesOf("api")) {
      const event = readSample(file);
      const route = apiRoutes(template).find(
        (r) => r.functionId === functionId && r.path === event.resource && r.method === event.httpMethod,
      );
      expect(route, `${file}: ${event.httpMethod} ${event.resource} is not a route of ${functionId}`).toBeDefined();
      expect(event.requestContext.resourcePath, file).toBe(event.resource);
      expect(Object.keys(event.headers), file).toEqual(Object.keys(event.multiValueHeaders));
      const handler = functionProperties(template, functionId).Handler;
      expect(handler, file).toBe(route?.streaming ? "handler.streamHandler" : "handler.handler");
    }
  });

  it("of the authorizer are REQUEST events for a route it guards", () => {
    for (const { file } of samplesOf("authorizer")) {
      const event = readSample(file);
      expect(event.type).toBe("REQUEST");
      const route = apiRoutes(template).find((r) => r.path === event.resource && r.method === event.httpMethod);
      expect(route?.authorizer, `${file}: the route must be guarded`).toBe("TenantAuthorizer");
      expect(event.methodArn).toMatch(
        new RegExp(`^arn:aws:execute-api:[^:]+:\\d{12}:\\w+/\\w+/${event.httpMethod}${event.resource}$`),
      );
      expect(event.headers.Authorization).toMatch(/^Bearer /);
    }
  });

  it("of SQS are batches for a function with an SQS event source, each message a Tenantkit event as the rule delivers it", () => {
    const onTheBus = readSample("order-placed.json");
    for (const { file, functionId } of samplesOf("sqs")) {
      expect(
        eventsOf(functionId).map((e) => e.Type),
        file,
      ).toContain("SQS");
      for (const record of readSample(file).Records) {
        expect(record.eventSource).toBe("aws:sqs");
        const body = JSON.parse(record.body);
        expect(() => readTenantEvent(body), file).not.toThrow();
        expect(shapeOf(body), `${file}: a message carries a whole EventBridge event`).toEqual(shapeOf(onTheBus));
      }
    }
  });

  it("of EventBridge follow the event contract and match the rule that routes them", () => {
    for (const { file, rule } of samplesOf("eventbridge")) {
      const event = readSample(file);
      const read = readTenantEvent(event);
      expect(read.type).toBe(event["detail-type"]);
      const pattern = template.Resources[rule as string]?.Properties?.EventPattern;
      expect(pattern.source, `${file}: ${rule} does not take ${event.source}`).toContain(event.source);
    }
  });

  it("of OrderPlaced carry exactly what the orders service publishes", async () => {
    const { type, data } = await orderPlacedData();
    const publisher = createEventPublisher({
      source: "tenantkit.orders",
      busName: "bus",
      client: { send: async () => ({}) } as never,
    });
    // An order is placed by a user, whose request the event names.
    const prepared = publisher.prepare({ tenantId: "acme", correlationId: "c", userId: "u", type, data });
    const ordersService = functionProperties(template, "OrdersFunction").Environment.Variables.POWERTOOLS_SERVICE_NAME;
    const samples = [readSample("order-placed.json"), JSON.parse(readSample("audit-queue-batch.json").Records[0].body)];
    for (const sample of samples) {
      expect(sample["detail-type"]).toBe(type);
      expect(sample.source).toBe(`tenantkit.${ordersService}`);
      expect(shapeOf(sample.detail)).toEqual(shapeOf(prepared.detail));
      expect(shapeOf(sample.detail.data)).toEqual(shapeOf(data));
    }
  });

  it("of schedules are Scheduled Events for a function with a schedule", () => {
    for (const { file, functionId } of samplesOf("schedule")) {
      const event = readSample(file);
      expect(
        eventsOf(functionId).map((e) => e.Type),
        file,
      ).toContain("Schedule");
      expect(event).toMatchObject({ source: "aws.events", "detail-type": "Scheduled Event", detail: {} });
    }
  });
});
