/** The tenant data source of an integration test: the local stack's tables, through the tenant data role as in AWS. */
import { createTenantCredentials, createTenantDataSource, type TenantDataSource } from "@tenantkit/tenant-context";
import type { ResolveContext } from "../../tools/local/template.ts";

/**
 * Tables by logical name (`{ orders: "OrdersTable" }`: the template's resource ids), each tenant's
 * view through an STS session tagged with its id.
 *
 * @example
 * const data = localTenantData(context, { orders: "OrdersTable", products: "ProductsTable" });
 */
export function localTenantData(context: ResolveContext, tables: Record<string, string>): TenantDataSource {
  return createTenantDataSource({
    tables: Object.fromEntries(Object.entries(tables).map(([name, id]) => [name, context.refs[id] as string])),
    credentials: createTenantCredentials({ roleArn: context.attributes["TenantDataRole.Arn"] as string }),
  });
}
