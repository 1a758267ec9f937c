/** Seeds the local stack's demo tenants, users and products through the real onboarding and product code. */
import { createTenantCredentials, createTenantDataSource, type Role, type Tier } from "@tenantkit/tenant-context";
import { createProductStore } from "../../functions/products/product-store.ts";
import { createProduct } from "../../functions/products/use-cases/create-product.ts";
import { createCognitoIdentityProvider } from "../../functions/tenants/adapters/cognito-identity-provider.ts";
import { createDynamoDbTenantRecords } from "../../functions/tenants/adapters/dynamodb-tenant-records.ts";
import { onboardTenant } from "../../functions/tenants/use-cases/onboard-tenant.ts";
import type { ResolveContext } from "./template.ts";

/** The one password of every seeded user (documented in the README). */
export const DEMO_PASSWORD = "Tenantkit-demo-1";

interface DemoTenant {
  tenantId: string;
  name: string;
  tier: Tier;
  admin: string;
  users: { email: string; role: Role }[];
  products: number;
}

export const DEMO_TENANTS: DemoTenant[] = [
  {
    tenantId: "acme",
    name: "Acme Corporation",
    tier: "basic",
    admin: "admin@acme.test",
    users: [{ email: "user@acme.test", role: "tenant-user" }],
    products: 5,
  },
  {
    tenantId: "globex",
    name: "Globex Corporation",
    tier: "premium",
    admin: "admin@globex.test",
    users: [{ email: "user@globex.test", role: "tenant-user" }],
    products: 5,
  },
  // The SaaS operator's own tenant: its admin is also the system admin.
  {
    tenantId: "tenantkit",
    name: "Tenantkit operators",
    tier: "basic",
    admin: "ops@tenantkit.test",
    users: [],
    products: 0,
  },
];

const SYSTEM_ADMIN = "ops@tenantkit.test";

/** Seeds everything; the AWS SDK must already point at the local stack (AWS_ENDPOINT_URL). */
export async function seedDemoData(
  context: ResolveContext,
): Promise<{ tenants: number; users: number; products: number }> {
  const records = createDynamoDbTenantRecords(context.refs.TenantsTable as string);
  const identity = createCognitoIdentityProvider(context.refs.UserPool as string);
  const data = createTenantDataSource({
    tables: { products: context.refs.ProductsTable as string },
    credentials: createTenantCredentials({ roleArn: context.attributes["TenantDataRole.Arn"] as string }),
  });
  let users = 0;
  let products = 0;
  for (const tenant of DEMO_TENANTS) {
    await onboardTenant(
      { records, identity },
      {
        tenantId: tenant.tenantId,
        name: tenant.name,
        tier: tenant.tier,
        adminEmail: tenant.admin,
        adminPassword: DEMO_PASSWORD,
      },
    );
    users += 1;
    for (const user of tenant.users) {
      await identity.createUser({ ...user, tenantId: tenant.tenantId, password: DEMO_PASSWORD });
      users += 1;
    }
    const store = createProductStore(data.forTenant(tenant.tenantId).table("products"));
    for (let i = 1; i <= tenant.products; i++) {
      await createProduct(store, {
        name: `${tenant.name} product ${i}`,
        sku: `${tenant.tenantId.toUpperCase()}-${String(i).padStart(3, "0")}`,
        priceCents: 1000 * i,
        currency: "EUR",
        stock: 10 * i,
      });
      products += 1;
    }
  }
  await identity.grantRole(SYSTEM_ADMIN, "system-admin");
  return { tenants: DEMO_TENANTS.length, users, products };
}
