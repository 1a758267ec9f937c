/** The product: what a client may send, what the API returns. */
import { z } from "@hono/zod-openapi";
import { freeText } from "@tenantkit/shared/schemas";

/** The ISO 4217 currencies in use, as the runtime's ICU data knows them. */
const CURRENCIES = new Set(Intl.supportedValuesOf("currency"));

export const ProductInput = z
  .object({
    name: freeText({ error: "is required" })
      .trim()
      .min(1, { error: "must not be empty" })
      .max(200, { error: "must be at most 200 characters" }),
    description: freeText().max(2000, { error: "must be at most 2000 characters" }).optional(),
    sku: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, { error: "must be 1-64 letters, digits, '.', '_' or '-'" })
      .optional(),
    priceCents: z
      .number({ error: "must be a number" })
      .int({ error: "must be a whole number of cents" })
      .min(0, { error: "must not be negative" })
      .max(1_000_000_000, { error: "is too large" }),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, { error: "must be an ISO 4217 code such as EUR", abort: true })
      .refine((code) => CURRENCIES.has(code), { error: "must be an ISO 4217 code such as EUR" }),
    stock: z
      .number({ error: "must be a number" })
      .int({ error: "must be a whole number" })
      .min(0, { error: "must not be negative" })
      .max(1_000_000_000, { error: "is too large" }),
  })
  .openapi("ProductInput");
export type ProductInput = z.infer<typeof ProductInput>;

export const Product = ProductInput.extend({
  id: z.uuid(),
  version: z.number().int(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
}).openapi("Product");
export type Product = z.infer<typeof Product>;

export const ProductPage = z
  .object({ items: z.array(Product), nextCursor: z.string().optional() })
  .openapi("ProductPage");
export type ProductPage = z.infer<typeof ProductPage>;
