/** Evaluates a Lambda authorizer's IAM policy for `execute-api:Invoke` on a method ARN, as API Gateway does. */
import type { PolicyDocument } from "aws-lambda";

export interface MethodArnParts {
  region: string;
  accountId: string;
  apiId: string;
  stage: string;
  method: string;
  /** the request path, e.g. `/products/42` */
  path: string;
}

/** `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<path without its leading slash>` */
export function methodArn({ region, accountId, apiId, stage, method, path }: MethodArnParts): string {
  return `arn:aws:execute-api:${region}:${accountId}:${apiId}/${stage}/${method}/${path.replace(/^\//, "")}`;
}

/** IAM wildcards: `*` is any run of characters, `?` any one character. */
function wildcardMatches(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .split("")
    .map((char) => (char === "*" ? ".*" : char === "?" ? "." : char.replace(/[\\^$.+()|[\]{}]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, ignoreCase ? "is" : "s").test(value);
}

/** A statement as the authorizer returned it; IAM also accepts a single string or statement where a list is typed. */
interface ReturnedStatement {
  Effect?: unknown;
  Action?: unknown;
  Resource?: unknown;
}

const asStrings = (value: unknown): string[] =>
  (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === "string");

function statementApplies(statement: ReturnedStatement, arn: string): boolean {
  // Action names are case-insensitive in IAM; resource ARNs are not.
  const actionMatches = asStrings(statement.Action).some((action) =>
    wildcardMatches(action, "execute-api:Invoke", true),
  );
  return actionMatches && asStrings(statement.Resource).some((resource) => wildcardMatches(resource, arn, false));
}

/** True when some statement allows `execute-api:Invoke` on `arn` and none denies it (an explicit Deny wins). */
export function policyAllowsInvoke(policy: PolicyDocument, arn: string): boolean {
  const returned: unknown = policy.Statement;
  const statements = (Array.isArray(returned) ? returned : [returned]) as ReturnedStatement[];
  const applicable = statements.filter((statement) => statement && statementApplies(statement, arn));
  if (applicable.some((statement) => statement.Effect === "Deny")) return false;
  return applicable.some((statement) => statement.Effect === "Allow");
}
