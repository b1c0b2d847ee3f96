import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/** The project root: where serverless.yml lives. */
export const ROOT = resolve(__dirname, '../..');

/** The account, region and stack the resolver pretends the template is deployed in. */
export interface DeployTarget {
  account: string;
  region: string;
  partition: string;
  stackName: string;
}

/** Where tests pretend RoleWatch is deployed. */
export const TEST_TARGET: DeployTarget = {
  account: '123456789012',
  region: 'us-east-1',
  partition: 'aws',
  stackName: 'rolewatch-test',
};

/** One resource of a CloudFormation template, as read from JSON. */
export interface TemplateResource {
  Type: string;
  Condition?: string;
  DependsOn?: string | string[];
  Properties?: Record<string, unknown>;
}

/** A CloudFormation template, as read from JSON. */
export interface Template {
  Parameters?: Record<string, { Default?: unknown }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, TemplateResource>;
  Outputs?: Record<string, unknown>;
}

/** What `osls package` wrote: the template and the directory with one zip per function. */
export interface PackagedService {
  dir: string;
  template: Template;
}

const run = promisify(execFile);

/** Runs `npx osls package` into a fresh temporary directory and reads the update-stack template. */
export async function packageService(options: { stage: string; params?: Record<string, string> }): Promise<PackagedService> {
  const dir = mkdtempSync(join(tmpdir(), 'rolewatch-package-'));
  const params = Object.entries(options.params ?? {}).flatMap(([name, value]) => ['--param', `${name}=${value}`]);
  try {
    await run('npx', ['osls', 'package', '--stage', options.stage, '--package', dir, ...params], {
      cwd: ROOT,
      timeout: 170_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`osls package failed:\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: error });
  }
  const template = JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  return { dir, template };
}

/**
 * Packages the service once for the test file (before all its tests, with a generous timeout: the first
 * esbuild run on a cold machine is slow) and removes the output after.
 */
export function usePackagedService(options: { stage?: string; params?: Record<string, string> } = {}) {
  let packaged: PackagedService | undefined;
  beforeAll(async () => {
    packaged = await packageService({ stage: options.stage ?? 'test', ...(options.params ? { params: options.params } : {}) });
  }, 180_000);
  afterAll(() => {
    if (packaged) rmSync(packaged.dir, { recursive: true, force: true });
  });
  const ready = () => {
    if (!packaged) throw new Error('the service was not packaged (see the error of beforeAll)');
    return packaged;
  };
  return {
    get template(): Template {
      return ready().template;
    },
    get dir(): string {
      return ready().dir;
    },
  };
}

/** The resources of one type, by logical id. */
export function resourcesOfType(template: Template, type: string): [string, TemplateResource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

/** The properties of a resource; throws when the resource does not exist. */
export function propertiesOf(template: Template, logicalId: string): Record<string, unknown> {
  const resource = template.Resources[logicalId];
  if (!resource) throw new Error(`no resource ${logicalId} in the template`);
  return resource.Properties ?? {};
}

/** The logical id a `Ref` or `Fn::GetAtt` points at, if the value is one. */
export function referencedId(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  if (typeof value.Ref === 'string') return value.Ref;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

/** True for plain JSON objects. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The values of a field that may hold one value or a list. */
export function listOf(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

// Resolving intrinsic functions

/** Where the name of a resource comes from when the template sets it. */
const NAME_PROPERTY: Readonly<Record<string, string>> = {
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::Events::Rule': 'Name',
  'AWS::Events::EventBus': 'Name',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
};

/** Marks `Ref: AWS::NoValue`: the property or list item disappears. */
const NO_VALUE = Symbol('AWS::NoValue');

/**
 * Resolves CloudFormation intrinsic functions (Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select, Fn::If,
 * pseudo parameters) into what CloudFormation would produce in `target`: realistic names and ARNs, so that
 * policies can be analysed as IAM would see them. Names the template does not set are generated the way
 * CloudFormation does (stack, logical id, suffix). Anything it cannot resolve throws, naming it: a gap in
 * the resolver must fail the test rather than let a policy through unchecked.
 */
export function resolveIntrinsics(template: Template, value: unknown, target: DeployTarget = TEST_TARGET): unknown {
  const resolver = new Resolver(template, target);
  const resolved = resolver.resolve(value);
  return resolved === NO_VALUE ? undefined : resolved;
}

/** Evaluates a named condition of the template in `target` (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition). */
export function evaluateCondition(template: Template, name: string, target: DeployTarget = TEST_TARGET): boolean {
  return new Resolver(template, target).condition(name);
}

class Resolver {
  private readonly resolving = new Set<string>();

  constructor(
    private readonly template: Template,
    private readonly target: DeployTarget,
  ) {}

  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item)).filter((item) => item !== NO_VALUE);
    if (!isRecord(value)) return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [key] = keys;
      const argument = key === undefined ? undefined : value[key];
      switch (key) {
        case 'Ref':
          return this.ref(this.text(argument, 'Ref'));
        case 'Fn::GetAtt':
          return this.getAtt(argument);
        case 'Fn::Sub':
          return this.sub(argument);
        case 'Fn::Join':
          return this.join(argument);
        case 'Fn::Select':
          return this.select(argument);
        case 'Fn::If':
          return this.if(argument);
        default:
          if (key?.startsWith('Fn::')) throw new Error(`cannot resolve ${key}: ${JSON.stringify(value)}`);
      }
    }
    return Object.fromEntries(
      Object.entries(value)
        .map(([key, item]) => [key, this.resolve(item)] as const)
        .filter(([, item]) => item !== NO_VALUE),
    );
  }

  condition(name: string): boolean {
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new Error(`no condition ${name} in the template`);
    return this.truth(definition);
  }

  private truth(value: unknown): boolean {
    if (!isRecord(value)) throw new Error(`not a condition: ${JSON.stringify(value)}`);
    if (typeof value.Condition === 'string') return this.condition(value.Condition);
    const list = (key: string) => {
      const args = value[key];
      if (!Array.isArray(args)) throw new Error(`${key} needs a list: ${JSON.stringify(value)}`);
      return args;
    };
    if ('Fn::Equals' in value) {
      const [a, b] = list('Fn::Equals').map((item) => this.resolve(item));
      return JSON.stringify(a) === JSON.stringify(b);
    }
    if ('Fn::Not' in value) return !this.truth(list('Fn::Not')[0]);
    if ('Fn::And' in value) return list('Fn::And').every((item) => this.truth(item));
    if ('Fn::Or' in value) return list('Fn::Or').some((item) => this.truth(item));
    throw new Error(`cannot evaluate condition ${JSON.stringify(value)}`);
  }

  private text(value: unknown, where: string): string {
    const resolved = this.resolve(value);
    if (typeof resolved === 'string') return resolved;
    if (typeof resolved === 'number') return String(resolved);
    throw new Error(`${where} needs a string, got ${JSON.stringify(value)}`);
  }

  private ref(name: string): unknown {
    const { account, region, partition, stackName } = this.target;
    const pseudo: Record<string, unknown> = {
      'AWS::AccountId': account,
      'AWS::Region': region,
      'AWS::Partition': partition,
      'AWS::URLSuffix': partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com',
      'AWS::StackName': stackName,
      'AWS::StackId': `arn:${partition}:cloudformation:${region}:${account}:stack/${stackName}/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b`,
      'AWS::NoValue': NO_VALUE,
    };
    if (name in pseudo) return pseudo[name];
    const parameter = this.template.Parameters?.[name];
    if (parameter) {
      if (parameter.Default === undefined) throw new Error(`parameter ${name} has no default`);
      return parameter.Default;
    }
    const resource = this.resource(name);
    const physical = this.physicalName(name);
    switch (resource.Type) {
      case 'AWS::SNS::Topic':
        return this.attribute(name, 'TopicArn');
      case 'AWS::SQS::Queue':
        return this.attribute(name, 'QueueUrl');
      case 'AWS::KMS::Key':
        return this.attribute(name, 'KeyId');
      case 'AWS::IAM::ManagedPolicy':
        return `arn:${partition}:iam::${account}:policy/${physical}`;
      case 'AWS::StepFunctions::StateMachine':
        return this.attribute(name, 'Arn');
      default:
        return physical;
    }
  }

  private getAtt(argument: unknown): unknown {
    const [logicalId, attribute] = Array.isArray(argument)
      ? [this.text(argument[0], 'Fn::GetAtt'), this.text(argument[1], 'Fn::GetAtt')]
      : this.text(argument, 'Fn::GetAtt').split(/\.(.*)/);
    if (!logicalId || !attribute) throw new Error(`bad Fn::GetAtt ${JSON.stringify(argument)}`);
    return this.attribute(logicalId, attribute);
  }

  private attribute(logicalId: string, attribute: string): string {
    const { account, region, partition } = this.target;
    const resource = this.resource(logicalId);
    const name = this.physicalName(logicalId);
    const arns: Record<string, Record<string, () => string>> = {
      'AWS::IAM::Role': {
        Arn: () => `arn:${partition}:iam::${account}:role${this.rolePath(logicalId)}${name}`,
        RoleId: () => `AROA${hash(logicalId, 17).toUpperCase()}`,
      },
      'AWS::SQS::Queue': {
        Arn: () => `arn:${partition}:sqs:${region}:${account}:${name}`,
        QueueName: () => name,
        QueueUrl: () => `https://sqs.${region}.amazonaws.com/${account}/${name}`,
      },
      'AWS::SNS::Topic': {
        TopicArn: () => `arn:${partition}:sns:${region}:${account}:${name}`,
        TopicName: () => name,
      },
      'AWS::DynamoDB::Table': {
        Arn: () => `arn:${partition}:dynamodb:${region}:${account}:table/${name}`,
        StreamArn: () => `arn:${partition}:dynamodb:${region}:${account}:table/${name}/stream/2026-11-02T09:00:00.000`,
      },
      'AWS::KMS::Key': {
        KeyId: () => keyId(logicalId),
        Arn: () => `arn:${partition}:kms:${region}:${account}:key/${keyId(logicalId)}`,
      },
      'AWS::Lambda::Function': { Arn: () => `arn:${partition}:lambda:${region}:${account}:function:${name}` },
      // A rule on a custom bus has the bus name in its ARN.
      'AWS::Events::Rule': {
        Arn: () => `arn:${partition}:events:${region}:${account}:rule/${this.ruleBusPrefix(logicalId)}${name}`,
      },
      'AWS::Events::EventBus': { Arn: () => `arn:${partition}:events:${region}:${account}:event-bus/${name}` },
      // CloudFormation's documented value: the log group ARN followed by ":*".
      'AWS::Logs::LogGroup': { Arn: () => `arn:${partition}:logs:${region}:${account}:log-group:${name}:*` },
      'AWS::S3::Bucket': { Arn: () => `arn:${partition}:s3:::${name}` },
      'AWS::StepFunctions::StateMachine': {
        Arn: () => `arn:${partition}:states:${region}:${account}:stateMachine:${name}`,
        Name: () => name,
      },
    };
    const read = arns[resource.Type]?.[attribute];
    if (!read) throw new Error(`cannot resolve Fn::GetAtt ${logicalId}.${attribute} (${resource.Type})`);
    return read();
  }

  private ruleBusPrefix(logicalId: string): string {
    const bus = this.resource(logicalId).Properties?.EventBusName;
    if (bus === undefined) return '';
    const name = this.text(bus, `${logicalId}.EventBusName`).split('/').pop() ?? '';
    return name === 'default' ? '' : `${name}/`;
  }

  private rolePath(logicalId: string): string {
    const path = this.resource(logicalId).Properties?.Path;
    return path === undefined ? '/' : this.text(path, `${logicalId}.Path`);
  }

  private physicalName(logicalId: string): string {
    const resource = this.resource(logicalId);
    const property = NAME_PROPERTY[resource.Type];
    const given = property ? resource.Properties?.[property] : undefined;
    if (given === undefined) {
      const generated = `${this.target.stackName}-${logicalId}-${hash(logicalId, 12).toUpperCase()}`;
      // Bucket names are lower case; CloudFormation lowercases the generated ones.
      return resource.Type === 'AWS::S3::Bucket' ? generated.toLowerCase() : generated;
    }
    if (this.resolving.has(logicalId)) throw new Error(`the name of ${logicalId} refers to itself`);
    this.resolving.add(logicalId);
    try {
      return this.text(given, `${logicalId}.${property}`);
    } finally {
      this.resolving.delete(logicalId);
    }
  }

  private resource(logicalId: string): TemplateResource {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`reference to ${logicalId}, which is not in the template`);
    return resource;
  }

  private sub(argument: unknown): string {
    const [text, variables] = Array.isArray(argument) ? [argument[0], argument[1]] : [argument, undefined];
    if (typeof text !== 'string') throw new Error(`Fn::Sub needs a string, got ${JSON.stringify(argument)}`);
    const values = isRecord(variables) ? variables : {};
    return text.replace(/\$\{([^}]*)\}/g, (_whole, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (name in values) return this.text(values[name], `Fn::Sub variable ${name}`);
      if (!name.startsWith('AWS::') && name.includes('.')) {
        const [logicalId, attribute] = name.split(/\.(.*)/);
        if (logicalId && attribute) return this.attribute(logicalId, attribute);
      }
      return this.text({ Ref: name }, `Fn::Sub \${${name}}`);
    });
  }

  private join(argument: unknown): string {
    if (!Array.isArray(argument) || typeof argument[0] !== 'string') throw new Error(`bad Fn::Join ${JSON.stringify(argument)}`);
    const items = this.resolve(argument[1]);
    if (!Array.isArray(items)) throw new Error(`Fn::Join needs a list, got ${JSON.stringify(argument[1])}`);
    return items.map((item, index) => this.text(item, `Fn::Join item ${index}`)).join(argument[0]);
  }

  private select(argument: unknown): unknown {
    if (!Array.isArray(argument)) throw new Error(`bad Fn::Select ${JSON.stringify(argument)}`);
    const index = Number(this.resolve(argument[0]));
    const items = this.resolve(argument[1]);
    if (!Array.isArray(items) || !(index in items)) throw new Error(`bad Fn::Select ${JSON.stringify(argument)}`);
    return items[index];
  }

  private if(argument: unknown): unknown {
    if (!Array.isArray(argument) || typeof argument[0] !== 'string') throw new Error(`bad Fn::If ${JSON.stringify(argument)}`);
    return this.resolve(this.condition(argument[0]) ? argument[1] : argument[2]);
  }
}

/** A short, stable lower-case hex string derived from `text`. */
function hash(text: string, length: number): string {
  let h = 0x811c9dc5;
  let out = '';
  for (let round = 0; out.length < length; round++) {
    for (const char of `${text}#${round}`) h = Math.imul(h ^ char.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, length);
}

/** A KMS key id (a UUID) derived from the logical id. */
function keyId(logicalId: string): string {
  const h = hash(logicalId, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
