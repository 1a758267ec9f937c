/** What every benchmark gets from the runner: the template, one build, one moto, one DynamoDB stand-in, all started lazily. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadTemplate, repoRoot, resourcesOfType, type Template } from "../../tools/local/template.ts";
import { type BenchBuild, benchBuild } from "./bench-build.ts";
import { type BenchAws, startBenchAws } from "./local-aws.ts";
import { type DynamoDbStub, startDynamoDbStub } from "./start-dynamodb-stub.ts";

/** Bench tenants whose products the DynamoDB stand-in generates: tenant id -> item count. */
export type StubCatalogue = Record<string, number>;

export interface BenchContext {
  /** template.yaml without the functions whose code does not exist yet (provisioning uses the whole template) */
  template: Template;
  build(): Promise<BenchBuild>;
  aws(): Promise<BenchAws>;
  /** the stand-in for the products table (bench/support/dynamodb-stub.ts), forwarding the rest to moto */
  stub(): Promise<DynamoDbStub>;
  log(line: string): void;
  close(): Promise<void>;
}

export interface Benchmark<T> {
  name: string;
  run(context: BenchContext): Promise<T>;
}

/**
 * The template minus functions whose entry points are not in the work tree yet (a service being
 * written): the benchmarks measure what exists, and say what they left out.
 */
function buildableTemplate(template: Template, log: (line: string) => void): Template {
  const resources = { ...template.Resources };
  for (const [id, resource] of resourcesOfType(template, "AWS::Serverless::Function")) {
    const entries: string[] = resource.Metadata?.BuildProperties?.EntryPoints ?? [];
    const missing = entries
      .map((entry) => join(repoRoot, resource.Properties?.CodeUri, entry))
      .filter((p) => !existsSync(p));
    if (missing.length > 0) {
      delete resources[id];
      log(`skipping ${id}: ${missing.join(", ")} does not exist`);
    }
  }
  return { ...template, Resources: resources };
}

export function createBenchContext(options: { catalogue: StubCatalogue; log: (line: string) => void }): BenchContext {
  const fullTemplate = loadTemplate();
  const template = buildableTemplate(fullTemplate, options.log);
  let aws: Promise<BenchAws> | undefined;
  let stub: Promise<DynamoDbStub> | undefined;
  const context: BenchContext = {
    template,
    log: options.log,
    build: () => benchBuild(template),
    aws() {
      aws ??= startBenchAws(fullTemplate);
      return aws;
    },
    stub() {
      stub ??= context.aws().then((started) =>
        startDynamoDbStub({
          upstream: started.endpoint,
          tableName: started.context.refs.ProductsTable as string,
          usageTableName: started.context.refs.UsageTable,
          tenants: options.catalogue,
        }),
      );
      return stub;
    },
    async close() {
      await (await stub?.catch(() => undefined))?.stop();
      await (await aws?.catch(() => undefined))?.stop();
    },
  };
  return context;
}
