/** Creates the template's messaging resources in moto: SQS queues and their policies, EventBridge buses and rules. */
import {
  CreateEventBusCommand,
  DescribeEventBusCommand,
  type EventBridgeClient,
  PutRuleCommand,
  type PutRuleCommandInput,
  PutTargetsCommand,
  ResourceAlreadyExistsException,
  type Target,
} from "@aws-sdk/client-eventbridge";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Json, ResolveContext } from "./template.ts";

/** What a creator of provision.ts gets, and the clients these creators use. */
export interface MessagingCreatorInput {
  logicalId: string;
  properties: Json;
  context: ResolveContext;
  aws: { sqs: SQSClient; events: EventBridgeClient };
}

export interface MessagingCreated {
  ref: string;
  attributes?: Record<string, string>;
}

/** CloudFormation's queue properties that are SQS attributes of the same name. */
const QUEUE_ATTRIBUTES = [
  "ContentBasedDeduplication",
  "DeduplicationScope",
  "DelaySeconds",
  "FifoQueue",
  "FifoThroughputLimit",
  "KmsDataKeyReusePeriodSeconds",
  "KmsMasterKeyId",
  "MaximumMessageSize",
  "MessageRetentionPeriod",
  "ReceiveMessageWaitTimeSeconds",
  "RedriveAllowPolicy",
  "RedrivePolicy",
  "SqsManagedSseEnabled",
  "VisibilityTimeout",
] as const;

/** `AWS::SQS::Queue` -> CreateQueue attributes: every value a string, policies as JSON text. */
export function queueAttributes(properties: Json): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const name of QUEUE_ATTRIBUTES) {
    const value = properties[name];
    if (value === undefined) continue;
    attributes[name] = typeof value === "object" ? JSON.stringify(value) : String(value);
  }
  return attributes;
}

/** The queue name CloudFormation would use (it adds a random suffix; locally the name is stable). */
export function queueName(logicalId: string, properties: Json, context: ResolveContext): string {
  if (properties.QueueName) return String(properties.QueueName);
  const name = `${context.pseudo["AWS::StackName"]}-${logicalId}`.slice(0, 75);
  return properties.FifoQueue === true || properties.FifoQueue === "true" ? `${name}.fifo` : name;
}

/** A queue: Ref is its URL; GetAtt gives Arn, QueueName and QueueUrl. An existing queue is reused as it is. */
export async function createQueue({ logicalId, properties, context, aws }: MessagingCreatorInput) {
  const QueueName = queueName(logicalId, properties, context);
  const existing = await aws.sqs.send(new GetQueueUrlCommand({ QueueName })).catch((error: unknown) => {
    if (error instanceof QueueDoesNotExist) return undefined;
    throw error;
  });
  const url =
    existing?.QueueUrl ??
    (await aws.sqs.send(new CreateQueueCommand({ QueueName, Attributes: queueAttributes(properties) }))).QueueUrl;
  if (!url) throw new Error(`${logicalId}: CreateQueue returned no URL`);
  const { Attributes } = await aws.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`${logicalId}: the queue has no ARN`);
  return { ref: url, attributes: { Arn: arn, QueueName, QueueUrl: url } } satisfies MessagingCreated;
}

/** `AWS::SQS::QueuePolicy`: the policy document set on each queue (moto stores it; nothing enforces it locally). */
export async function createQueuePolicy({ logicalId, properties, aws }: MessagingCreatorInput) {
  const Policy = JSON.stringify(properties.PolicyDocument);
  for (const QueueUrl of properties.Queues ?? []) {
    await aws.sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy } }));
  }
  return { ref: logicalId } satisfies MessagingCreated;
}

/** `AWS::Events::EventBus`: Ref is its name; GetAtt gives Arn and Name. */
export async function createEventBus({ logicalId, properties, context, aws }: MessagingCreatorInput) {
  const Name = String(properties.Name ?? `${context.pseudo["AWS::StackName"]}-${logicalId}`);
  await aws.events.send(new CreateEventBusCommand({ Name })).catch((error: unknown) => {
    if (!(error instanceof ResourceAlreadyExistsException)) throw error;
  });
  const { Arn } = await aws.events.send(new DescribeEventBusCommand({ Name }));
  if (!Arn) throw new Error(`${logicalId}: the event bus has no ARN`);
  return { ref: Name, attributes: { Arn, Name } } satisfies MessagingCreated;
}

/** CloudFormation's target properties that PutTargets takes under the same names. */
const TARGET_KEYS = [
  "Id",
  "Arn",
  "RoleArn",
  "Input",
  "InputPath",
  "InputTransformer",
  "SqsParameters",
  "DeadLetterConfig",
  "RetryPolicy",
] as const;

/** `AWS::Events::Rule` -> PutRule and PutTargets input (the event pattern as JSON text). */
export function ruleInput(name: string, properties: Json): { rule: PutRuleCommandInput; targets: Target[] } {
  const rule: PutRuleCommandInput = {
    Name: name,
    ...(properties.EventBusName && { EventBusName: String(properties.EventBusName) }),
    ...(properties.EventPattern && {
      EventPattern:
        typeof properties.EventPattern === "string" ? properties.EventPattern : JSON.stringify(properties.EventPattern),
    }),
    ...(properties.ScheduleExpression && { ScheduleExpression: properties.ScheduleExpression }),
    ...(properties.Description && { Description: properties.Description }),
    ...(properties.RoleArn && { RoleArn: properties.RoleArn }),
    State: properties.State ?? "ENABLED",
  };
  const targets = (properties.Targets ?? []).map((target: Json) =>
    Object.fromEntries(TARGET_KEYS.filter((key) => target[key] !== undefined).map((key) => [key, target[key]])),
  );
  return { rule, targets };
}

/**
 * A rule and its targets. moto's EventBridge matches PutEvents against the rules of the bus and
 * delivers to SQS targets itself, so nothing else is needed for EventBridge -> SQS locally.
 * Ref is the name (`bus|name` on a custom bus, as CloudFormation gives it); GetAtt gives Arn.
 */
export async function createRule({ logicalId, properties, context, aws }: MessagingCreatorInput) {
  const name = String(properties.Name ?? `${context.pseudo["AWS::StackName"]}-${logicalId}`).slice(0, 64);
  const { rule, targets } = ruleInput(name, properties);
  const { RuleArn } = await aws.events.send(new PutRuleCommand(rule));
  if (!RuleArn) throw new Error(`${logicalId}: PutRule returned no ARN`);
  if (targets.length > 0) {
    const result = await aws.events.send(
      new PutTargetsCommand({ Rule: name, EventBusName: rule.EventBusName, Targets: targets }),
    );
    if (result.FailedEntryCount) {
      throw new Error(`${logicalId}: PutTargets failed: ${JSON.stringify(result.FailedEntries)}`);
    }
  }
  const bus = rule.EventBusName;
  const ref = bus && bus !== "default" ? `${bus}|${name}` : name;
  return { ref, attributes: { Arn: RuleArn } } satisfies MessagingCreated;
}
