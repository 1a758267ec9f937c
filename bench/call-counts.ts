/**
 * The AWS call counts the code must keep, per request type and per cache window: one place, read by
 * the CI gates (test/budgets/*.int.test.ts assert them) and by the report (docs/BENCHMARKS.md).
 * Counts are stable where times are not, so these are exact, not "at most".
 */
import { EXPORT_PAGE_SIZE } from "../functions/products/use-cases/export-products.ts";

export interface CallExpectation {
  /** the gate's test name says the same in a sentence */
  id: string;
  /** what is done */
  when: string;
  /** what is sent, in words */
  expected: string;
}

/** Queries an export of `n` products sends: one per page of EXPORT_PAGE_SIZE, plus the empty page after a full one. */
export const exportQueries = (n: number): number => Math.floor(n / EXPORT_PAGE_SIZE) + 1;

export const CALL_EXPECTATIONS: CallExpectation[] = [
  { id: "get", when: "GET /products/{id}", expected: "1 DynamoDB GetItem on the products table" },
  { id: "list-page", when: "GET /products?limit=n (one page)", expected: "1 Query on the products table" },
  { id: "list-pages", when: "paging 5 products with limit=2", expected: "3 Queries: one per page" },
  { id: "create", when: "POST /products", expected: "1 PutItem (conditional)" },
  { id: "replace", when: "PUT /products/{id}", expected: "1 GetItem + 1 PutItem (conditional on the version)" },
  { id: "delete", when: "DELETE /products/{id}", expected: "1 DeleteItem" },
  {
    id: "export",
    when: `GET /products/export of n products`,
    expected: `⌊n / ${EXPORT_PAGE_SIZE}⌋ + 1 Queries (one per ${EXPORT_PAGE_SIZE}-item page; 2 for n = ${EXPORT_PAGE_SIZE + 1})`,
  },
  {
    id: "metered",
    when: "GET /products/{id} with the usage meter on (USAGE_TABLE set, as in the template)",
    expected: "1 GetItem on the products table + 1 UpdateItem on the usage table per request",
  },
  {
    id: "no-scan",
    when: "any request, any code path",
    expected: "0 Scan (runtime count, static check of the code and of the IAM policies)",
  },
  {
    id: "sts",
    when: "requests of 2 tenants within one credential lifetime",
    expected:
      "1 STS AssumeRole per tenant (shared by its DynamoDB and Secrets Manager clients); 1 more once the credentials near expiry",
  },
  {
    id: "registry",
    when: "tenant record reads within the registry's cache window",
    expected: "1 GetItem on the tenants table per tenant per window (30 s by default)",
  },
  {
    id: "secrets",
    when: "reads of a tenant secret within Powertools' maxAge",
    expected: "1 Secrets Manager GetSecretValue per tenant and name per window; 1 more after it",
  },
  {
    id: "config",
    when: "reads of global configuration within Powertools' maxAge",
    expected: "1 SSM GetParameter per name per window; 1 more after it",
  },
  {
    id: "jwks",
    when: "verifying many tokens (also 20 at once) in one container",
    expected: "1 JWKS fetch per 10 minutes; a token with an unknown kid causes none sooner",
  },
];
