/** Seeds the local stack's demo tenants, users and products through the real onboarding, users and product code. */

import { createUserDirectory } from "@tenantkit/shared/user-directory";
import { createTenantCredentials, createTenantDataSource, type Role, type Tier } from "@tenantkit/tenant-context";
import { createProductStore } from "../../functions/products/product-store.ts";
import { createProduct } from "../../functions/products/use-cases/create-product.ts";
import { createControlPlane } from "../../functions/tenants/control-plane.ts";
import { onboardTenant } from "../../functions/tenants/use-cases/onboard-tenant.ts";
import { createUser } from "../../functions/users/use-cases/create-user.ts";
import { functionProperties, loadTemplate, type ResolveContext, resolve, type Template } from "./template.ts";

/** The one password of every seeded user (documented in the README). */
export const DEMO_PASSWORD = "Tenantkit-demo-1";

interface DemoTenant {
  tenantId: string;
  name: string;
  tier: Tier;
  admin: string;
  users: { email: string; role: Exclude<Role, "system-admin"> }[];
  products: number;
}

export const DEMO_TENANTS: DemoTenant[] = [
  {
    tenantId: "acme",
    name: "Acme",
    tier: "basic",
    admin: "admin@acme.test",
    users: [{ email: "user@acme.test", role: "tenant-user" }],
    products: 5,
  },
  {
    tenantId: "globex",
    name: "Globex",
    tier: "premium",
    admin: "admin@globex.test",
    users: [{ email: "user@globex.test", role: "tenant-user" }],
    products: 5,
  },
  // The SaaS operator's own tenant: its admin is also the system admin.
  { tenantId: "tenantkit", name: "Tenantkit", tier: "basic", admin: "ops@tenantkit.test", users: [], products: 0 },
];

const SYSTEM_ADMIN = "ops@tenantkit.test";

/**
 * When the demo tenants say they were created: before the sample events of `events/`, which the
 * audit consumer would otherwise drop as older than their tenant.
 */
const DEMO_TENANTS_CREATED_AT = new Date("2026-01-01T00:00:00.000Z");

/** The environment a function of the template gets, resolved for the local stack. */
export function functionEnvironment(
  template: Template,
  context: ResolveContext,
  functionId: string,
): NodeJS.ProcessEnv {
  return { ...process.env, ...resolve(functionProperties(template, functionId).Environment.Variables, context) };
}

/** Seeds everything; the AWS SDK must already point at the local stack (AWS_ENDPOINT_URL). */
export async function seedDemoData(context: ResolveContext, template: Template = loadTemplate()) {
  const controlPlane = createControlPlane(functionEnvironment(template, context, "TenantsFunction"));
  const { identity } = controlPlane.onboarding;
  const data = createTenantDataSource({
    tables: { products: context.refs.ProductsTable as string, users: context.refs.UsersTable as string },
    credentials: createTenantCredentials({ roleArn: context.attributes["TenantDataRole.Arn"] as string }),
  });
  let users = 0;
  let products = 0;
  for (const tenant of DEMO_TENANTS) {
    await onboardTenant(
      controlPlane.onboarding,
      {
        tenantId: tenant.tenantId,
        name: tenant.name,
        tier: tenant.tier,
        adminEmail: tenant.admin,
        adminPassword: DEMO_PASSWORD,
      },
      DEMO_TENANTS_CREATED_AT,
    );
    users += 1;
    const directory = createUserDirectory(data.forTenant(tenant.tenantId).table("users"));
    for (const user of tenant.users) {
      const created = await createUser({ identity, directory }, tenant.tenantId, user);
      await identity.setPassword(created.email, DEMO_PASSWORD);
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
