/**
 * A large, realistic CloudTrail stream for benchmarks: what a busy account's management-event trail looks
 * like. Most records are other services' calls (KMS, EC2, SSM, Secrets Manager, logs...), which RoleWatch
 * reads and drops; a third are AssumeRole (services refreshing credentials, people and automation assuming
 * roles); then AssumeRoleWithWebIdentity (GitHub Actions, EKS pods), IAM changes across a few hundred roles
 * (mostly through CloudFormation and Terraform) and a few failed calls. Records are 1–3 KB each, like real
 * ones (session tokens and policy documents make up most of it).
 */
import { type Config, validateConfig } from '../config/config';
import {
  awsTrustPolicy,
  type Caller,
  failedCall,
  githubTrustPolicy,
  serviceTrustPolicy,
  type TrailRecord,
  TrailRecordBuilder,
  trustPolicy,
  type UserIdentity,
} from './records';

/** The monitored account of the stream. */
export const STREAM_ACCOUNT = '123456789012';
const ORG_ACCOUNTS = ['111122223333', '210987654321', '345678901234'];
const VENDOR_ACCOUNT = '999988887777';
const START = Date.parse('2026-11-02T00:00:00Z');
/** Mean time between two events: ~170,000 IAM/STS events a day. */
const MEAN_GAP_MS = 500;
const ROLE_COUNT = 300;

/**
 * Intended share of each kind of record (the remainder after these is AssumeRole, about a third). A whole
 * management-event trail is mostly other services' calls (reads such as KMS Decrypt and Describe*, and
 * writes); IAM role changes are rare, here 1%, more than most accounts see.
 */
export const STREAM_MIX = { otherRead: 0.5, otherWrite: 0.1, webIdentity: 0.02, roleChange: 0.01, failed: 0.005 } as const;

/** The configuration that matches the stream: the organization's accounts, the vendor, the IaC principals. */
export function streamConfig(): Config {
  return validateConfig({
    knownAccounts: ORG_ACCOUNTS,
    trustedThirdParties: [{ account: VENDOR_ACCOUNT, name: 'monitoring-vendor', requireExternalId: true }],
    protectedRoles: ['BreakGlass*'],
    iacPrincipals: ['cloudformation.amazonaws.com', 'arn:aws:iam::*:role/cdk-*', 'arn:aws:iam::*:role/terraform-apply'],
  });
}

type RoleKind = 'service' | 'human' | 'web-identity' | 'vendor';

interface StreamRole {
  name: string;
  arn: string;
  kind: RoleKind;
  /** Service principal of a service role; GitHub repository or EKS service account of a web-identity role. */
  principal: string;
  created: boolean;
  inline: string[];
  attached: string[];
}

const TEAMS = ['payments', 'orders', 'catalog', 'search', 'identity', 'platform', 'data', 'ml', 'growth', 'support'];
const APPS = ['api', 'worker', 'ingest', 'export', 'scheduler', 'gateway', 'sync', 'reporter', 'indexer', 'notifier'];
const SERVICES = [
  'lambda.amazonaws.com',
  'lambda.amazonaws.com',
  'lambda.amazonaws.com',
  'ecs-tasks.amazonaws.com',
  'ecs-tasks.amazonaws.com',
  'ec2.amazonaws.com',
  'states.amazonaws.com',
  'codebuild.amazonaws.com',
  'glue.amazonaws.com',
];
const MANAGED = [
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
  'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
  'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
  'arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy',
  'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
  'arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess',
  'arn:aws:iam::aws:policy/ReadOnlyAccess',
  'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy',
];
/** Rare risky attachments, so the stream also exercises the findings path. */
const RISKY_MANAGED = [
  'arn:aws:iam::aws:policy/AdministratorAccess',
  'arn:aws:iam::aws:policy/IAMFullAccess',
  'arn:aws:iam::aws:policy/PowerUserAccess',
];
const SERVICE_ACTIONS: Record<string, { actions: string[]; resource: (team: string, app: string) => string }> = {
  dynamodb: {
    actions: [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:Query',
      'dynamodb:BatchWriteItem',
    ],
    resource: (team, app) => `arn:aws:dynamodb:us-east-1:${STREAM_ACCOUNT}:table/${team}-${app}`,
  },
  s3: {
    actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket', 's3:GetObjectVersion'],
    resource: (team, app) => `arn:aws:s3:::acme-${team}-${app}-${STREAM_ACCOUNT}/*`,
  },
  sqs: {
    actions: [
      'sqs:SendMessage',
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ChangeMessageVisibility',
    ],
    resource: (team, app) => `arn:aws:sqs:us-east-1:${STREAM_ACCOUNT}:${team}-${app}-queue`,
  },
  sns: { actions: ['sns:Publish'], resource: (team) => `arn:aws:sns:us-east-1:${STREAM_ACCOUNT}:${team}-events` },
  kms: {
    actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
    resource: () => `arn:aws:kms:us-east-1:${STREAM_ACCOUNT}:key/3f1c2a9e-8b7d-4e6f-a5c4-2d1b0e9f8a7c`,
  },
  logs: {
    actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
    resource: (team, app) => `arn:aws:logs:us-east-1:${STREAM_ACCOUNT}:log-group:/aws/lambda/${team}-${app}:*`,
  },
  secretsmanager: {
    actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
    resource: (team, app) => `arn:aws:secretsmanager:us-east-1:${STREAM_ACCOUNT}:secret:${team}/${app}/*`,
  },
  events: { actions: ['events:PutEvents'], resource: () => `arn:aws:events:us-east-1:${STREAM_ACCOUNT}:event-bus/default` },
};
const SERVICE_KEYS = Object.keys(SERVICE_ACTIONS);
const RISKY_INLINE: Record<string, unknown>[] = [
  {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction'], Resource: '*' }],
  },
  { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] },
  { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
];
const PEOPLE = [
  'ana.souza',
  'ben.carter',
  'chen.jing',
  'dara.okoye',
  'emil.novak',
  'fatima.haddad',
  'gita.rao',
  'hugo.martin',
  'ines.garcia',
  'jonas.berg',
];
const PERMISSION_SETS = [
  'AWSReservedSSO_PlatformEngineer_c3a9f2e81d4b6075',
  'AWSReservedSSO_Developer_7d2e4b9a0c1f3568',
  'AWSReservedSSO_ReadOnly_5b1e0c9d7a3f2468',
];
const REPOS = ['platform', 'payments-service', 'orders-service', 'web', 'infra', 'data-pipelines'];
const EKS_PROVIDER = `arn:aws:iam::${STREAM_ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/5C1D3A9E0B7F24E86D1A4C3B2F0E9D87`;
const GITHUB_PROVIDER = `arn:aws:iam::${STREAM_ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
const CLI_UA =
  'aws-cli/2.27.41 md/awscrt#0.26.1 ua/2.1 os/macos#24.5.0 md/arch#arm64 lang/python#3.13.4 md/pyimpl#CPython m/b,E,N cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#sts.assume-role';
const TERRAFORM_UA =
  'APN/1.0 HashiCorp/1.0 Terraform/1.12.2 (+https://www.terraform.io) terraform-provider-aws/6.2.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.36.5 ua/2.1 os/linux lang/go#1.24.4 md/GOOS#linux md/GOARCH#amd64 api/iam#1.43.0 m/C,g';
const SDK_UA =
  'Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#5.10.227-239.884.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.35.36';
type OtherCall = (n: number) => [eventSource: string, eventName: string, request: Record<string, unknown> | null];

/** Read-only calls that fill most of a management-event trail. */
const OTHER_READS: readonly OtherCall[] = [
  (n) => [
    'kms.amazonaws.com',
    'Decrypt',
    {
      encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      encryptionContext: { 'aws:lambda:FunctionArn': `arn:aws:lambda:us-east-1:${STREAM_ACCOUNT}:function:fn-${n % 97}` },
    },
  ],
  (n) => [
    'kms.amazonaws.com',
    'GenerateDataKey',
    {
      keyId: `arn:aws:kms:us-east-1:${STREAM_ACCOUNT}:key/${String(n).padStart(8, '0')}-1111-2222-3333-444455556666`,
      keySpec: 'AES_256',
    },
  ],
  () => [
    'ec2.amazonaws.com',
    'DescribeInstances',
    { instancesSet: {}, filterSet: { items: [{ name: 'tag:team', valueSet: { items: [{ value: 'payments' }] } }] } },
  ],
  () => ['sts.amazonaws.com', 'GetCallerIdentity', null],
  (n) => [
    'ssm.amazonaws.com',
    'GetParameters',
    { names: [`/app/config/${n % 50}`, `/app/feature-flags/${n % 7}`], withDecryption: true },
  ],
  (n) => [
    'secretsmanager.amazonaws.com',
    'GetSecretValue',
    { secretId: `arn:aws:secretsmanager:us-east-1:${STREAM_ACCOUNT}:secret:db-${n % 20}` },
  ],
  (n) => ['dynamodb.amazonaws.com', 'DescribeTable', { tableName: `orders-${n % 12}` }],
  () => ['logs.amazonaws.com', 'DescribeLogGroups', { logGroupNamePrefix: '/aws/lambda/' }],
  () => ['iam.amazonaws.com', 'GetRole', { roleName: 'payments-api-lambda-role-001' }],
  () => ['ecr.amazonaws.com', 'GetAuthorizationToken', null],
];

/** Write calls of other services. */
const OTHER_WRITES: readonly OtherCall[] = [
  (n) => [
    'logs.amazonaws.com',
    'CreateLogStream',
    { logGroupName: `/aws/lambda/fn-${n % 97}`, logStreamName: `2026/11/02/[$LATEST]${n.toString(16)}` },
  ],
  (n) => [
    'lambda.amazonaws.com',
    'UpdateFunctionConfiguration20150331v2',
    { functionName: `fn-${n % 97}`, timeout: 30, memorySize: 512 },
  ],
  (n) => [
    'ecs.amazonaws.com',
    'RunTask',
    { cluster: 'workers', taskDefinition: `export:${n % 40}`, count: 1, launchType: 'FARGATE' },
  ],
  (n) => [
    'ec2.amazonaws.com',
    'CreateTags',
    {
      resourcesSet: { items: [{ resourceId: `i-0${n.toString(16).padStart(16, '0')}` }] },
      tagSet: { items: [{ key: 'owner', value: 'platform' }] },
    },
  ],
  (n) => [
    's3.amazonaws.com',
    'PutBucketTagging',
    { bucketName: `acme-data-${n % 30}`, Tagging: { TagSet: { Tag: { Key: 'team', Value: 'data' } } } },
  ],
];

const GITHUB_UA =
  'aws-sdk-js/3.821.0 ua/2.1 os/linux#6.11.0-1015-azure lang/js md/nodejs#20.19.2 api/sts#3.821.0 m/N,E,e configure-aws-credentials-for-github-actions';

/**
 * `count` CloudTrail records in eventTime order, the same for the same seed ({@link STREAM_MIX}): half
 * read-only calls of other services, a tenth their writes, a third AssumeRole, 2% AssumeRoleWithWebIdentity,
 * 1% IAM role changes over 300 roles (a role is created by the first change that touches it), failed calls.
 */
export function generateStream(count: number, seed: number | string = 1, mix: StreamMix = STREAM_MIX): TrailRecord[] {
  return new StreamWriter(seed).write(count, mix);
}

/** The same records as {@link generateStream}, one at a time: streams larger than memory. */
export function streamRecords(count: number, seed: number | string = 1, mix: StreamMix = STREAM_MIX): Generator<TrailRecord> {
  return new StreamWriter(seed).records(count, mix);
}

/** Shares of each kind of record; AssumeRole takes the remainder. */
export type StreamMix = { readonly [kind in keyof typeof STREAM_MIX]: number };

/**
 * The mix in which IAM role changes are `share` of the events RoleWatch watches (assumptions, role changes,
 * failed calls; other services' calls are dropped unread), everything else as in {@link STREAM_MIX}.
 */
export function mixWithRoleChanges(share: number): StreamMix {
  const { otherRead, otherWrite } = STREAM_MIX;
  const watched = 1 - otherRead - otherWrite;
  return { ...STREAM_MIX, roleChange: share * watched };
}

class StreamWriter {
  private readonly b: TrailRecordBuilder;
  private readonly roles: StreamRole[] = [];
  private readonly byKind: Record<RoleKind, StreamRole[]> = { service: [], human: [], 'web-identity': [], vendor: [] };
  private readonly cfnExec = `arn:aws:iam::${STREAM_ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${STREAM_ACCOUNT}-us-east-1`;
  private readonly terraform = `arn:aws:iam::${STREAM_ACCOUNT}:role/terraform-apply`;
  private time = START;

  constructor(seed: number | string) {
    this.b = new TrailRecordBuilder({ seed: `rolewatch-stream:${seed}`, account: STREAM_ACCOUNT });
    for (let i = 0; i < ROLE_COUNT; i++) this.addRole(i);
  }

  write(count: number, mix: StreamMix): TrailRecord[] {
    return [...this.records(count, mix)];
  }

  *records(count: number, mix: StreamMix): Generator<TrailRecord> {
    const r = this.b.random;
    for (let written = 0; written < count; written++) {
      // Exponential gaps: bursts and lulls, like a real trail.
      this.time += Math.max(1, Math.round(-Math.log(1 - r.next()) * MEAN_GAP_MS));
      let roll = r.next();
      const take = (share: number) => {
        roll -= share;
        return roll < 0;
      };
      if (take(mix.failed)) yield this.failedCall();
      else if (take(mix.roleChange)) yield this.roleChange();
      else if (take(mix.webIdentity)) yield this.webIdentity();
      else if (take(mix.otherRead)) yield this.otherCall(true);
      else if (take(mix.otherWrite)) yield this.otherCall(false);
      else yield this.assumeRole();
    }
  }

  private addRole(i: number): void {
    const r = this.b.random;
    const roll = r.next();
    const kind: RoleKind = roll < 0.7 ? 'service' : roll < 0.88 ? 'human' : roll < 0.98 ? 'web-identity' : 'vendor';
    const team = r.pick(TEAMS);
    const app = r.pick(APPS);
    const suffix = String(i).padStart(3, '0');
    const service = r.pick(SERVICES);
    const name =
      kind === 'service'
        ? `${team}-${app}-${service.split('.')[0]}-role-${suffix}`
        : kind === 'human'
          ? `${team}-${r.pick(['support', 'admin', 'readonly', 'oncall', 'deploy'])}-${suffix}`
          : kind === 'web-identity'
            ? `${team}-${app}-oidc-${suffix}`
            : `vendor-integration-${suffix}`;
    const principal =
      kind === 'service'
        ? service
        : kind === 'web-identity'
          ? r.chance(0.6)
            ? `repo:acme/${r.pick(REPOS)}:ref:refs/heads/main`
            : `system:serviceaccount:${team}:${app}`
          : '';
    const role: StreamRole = {
      name,
      arn: `arn:aws:iam::${STREAM_ACCOUNT}:role/${name}`,
      kind,
      principal,
      created: false,
      inline: [],
      attached: [],
    };
    this.roles.push(role);
    this.byKind[kind].push(role);
  }

  // AssumeRole

  private assumeRole(): TrailRecord {
    const r = this.b.random;
    const roll = r.next();
    if (roll < 0.72 && this.byKind.service.length > 0) {
      const role = r.pick(this.byKind.service);
      const service = role.principal;
      const session =
        service === 'ec2.amazonaws.com'
          ? `i-0${this.b.hex(16)}`
          : service === 'lambda.amazonaws.com'
            ? role.name.replace(/-role-\d+$/, '')
            : this.b.hex(32);
      return this.b.assumeRole(
        { at: this.time, identity: this.b.service(service), sourceIp: service, userAgent: service },
        { roleArn: role.arn, roleSessionName: session },
      );
    }
    if (roll < 0.9) {
      const role = r.pick(this.byKind.human);
      if (r.chance(0.55)) {
        const person = r.pick(PEOPLE);
        const email = `${person}@acme.example`;
        const identity = this.b.roleSession(
          `arn:aws:iam::${STREAM_ACCOUNT}:role/aws-reserved/sso.amazonaws.com/${r.pick(PERMISSION_SETS)}`,
          email,
          { createdAt: this.time - r.int(60, 8 * 3600) * 1000 },
        );
        return this.b.assumeRole(
          { at: this.time, identity, sourceIp: `198.51.100.${r.int(2, 254)}`, userAgent: CLI_UA },
          { roleArn: role.arn, roleSessionName: email, durationSeconds: 3600, sourceIdentity: email },
        );
      }
      const account = r.pick(ORG_ACCOUNTS);
      const caller = `arn:aws:iam::${account}:role/${r.pick(['ops-automation', 'security-audit', 'backup-orchestrator', 'finops-reader'])}`;
      const session = `${caller.slice(caller.lastIndexOf('/') + 1)}-${r.int(1000, 9999)}`;
      return this.b.assumeRole(
        {
          at: this.time,
          identity: this.b.awsAccount(account, `${this.b.stableId('AROA', caller)}:${session}`),
          sourceIp: `54.86.${r.int(1, 254)}.${r.int(1, 254)}`,
          userAgent: SDK_UA,
        },
        { roleArn: role.arn, roleSessionName: session, durationSeconds: 900 },
      );
    }
    if (roll < 0.97) {
      const role = r.pick(this.byKind.human);
      const identity = this.b.iamUser(STREAM_ACCOUNT, r.pick(['jenkins-ci', 'backup-agent', 'legacy-etl']));
      return this.b.assumeRole(
        { at: this.time, identity, sourceIp: `34.201.${r.int(1, 254)}.${r.int(1, 254)}`, userAgent: CLI_UA },
        { roleArn: role.arn, roleSessionName: `${identity.userName}-${r.int(100, 999)}`, durationSeconds: 3600 },
      );
    }
    const role = this.byKind.vendor[0] ?? r.pick(this.byKind.human);
    const crawler = `arn:aws:iam::${VENDOR_ACCOUNT}:role/IntegrationCrawler`;
    return this.b.assumeRole(
      {
        at: this.time,
        identity: this.b.awsAccount(VENDOR_ACCOUNT, `${this.b.stableId('AROA', crawler)}:crawler`),
        sourceIp: `3.233.${r.int(140, 150)}.${r.int(1, 254)}`,
        userAgent: 'aws-sdk-go/1.55.5 (go1.22.7; linux; amd64)',
      },
      { roleArn: role.arn, roleSessionName: 'crawler', durationSeconds: 3600, externalId: '7c5e1f0a9b8d4e2c9f3a6b1d0e8c7a54' },
    );
  }

  private webIdentity(): TrailRecord {
    const r = this.b.random;
    const role = r.pick(this.byKind['web-identity']);
    const isGithub = role.principal.startsWith('repo:');
    const provider = isGithub ? GITHUB_PROVIDER : EKS_PROVIDER;
    const subject = role.principal;
    const identity = this.b.webIdentityUser(provider, subject, 'sts.amazonaws.com');
    return this.b.assumeRoleWithWebIdentity(
      {
        at: this.time,
        identity,
        sourceIp: isGithub ? `20.55.${r.int(1, 254)}.${r.int(1, 254)}` : `10.0.${r.int(0, 255)}.${r.int(1, 254)}`,
        userAgent: isGithub ? GITHUB_UA : SDK_UA,
      },
      {
        roleArn: role.arn,
        roleSessionName: isGithub ? 'GitHubActions' : `botocore-session-${r.int(1_000_000_000, 1_999_999_999)}`,
        durationSeconds: 3600,
      },
      { subject, provider, audience: 'sts.amazonaws.com' },
    );
  }

  // Other services' calls: most of a real trail, and nothing RoleWatch acts on.

  private otherCall(readOnly: boolean): TrailRecord {
    const r = this.b.random;
    const role = r.pick(this.byKind.service.length > 0 ? this.byKind.service : this.roles);
    const identity = this.b.roleSession(role.arn, role.name.slice(0, 32), { createdAt: this.time - r.int(60, 3600) * 1000 });
    const [eventSource, eventName, request] = r.pick(readOnly ? OTHER_READS : OTHER_WRITES)(r.int(0, 1_000_000));
    return this.b.apiCall({
      at: this.time,
      identity,
      sourceIp: r.chance(0.5) ? `10.0.${r.int(0, 255)}.${r.int(1, 254)}` : 'lambda.amazonaws.com',
      userAgent: SDK_UA,
      region: r.pick(['us-east-1', 'us-east-1', 'eu-west-1']),
      eventSource,
      eventName,
      request,
      readOnly,
    });
  }

  // IAM changes

  private changer(): Caller {
    const r = this.b.random;
    const roll = r.next();
    if (roll < 0.7) {
      return {
        at: this.time,
        identity: this.b.roleSession(this.cfnExec, 'AWSCloudFormation', {
          createdAt: this.time - 20_000,
          invokedBy: 'cloudformation.amazonaws.com',
        }),
        sourceIp: 'cloudformation.amazonaws.com',
        userAgent: 'cloudformation.amazonaws.com',
      };
    }
    if (roll < 0.9) {
      return {
        at: this.time,
        identity: this.b.roleSession(this.terraform, `tf-run-${r.int(1000, 9999)}`, { createdAt: this.time - 60_000 }),
        sourceIp: `34.201.17.${r.int(2, 40)}`,
        userAgent: TERRAFORM_UA,
      };
    }
    const email = `${r.pick(PEOPLE)}@acme.example`;
    const identity: UserIdentity = this.b.roleSession(
      `arn:aws:iam::${STREAM_ACCOUNT}:role/aws-reserved/sso.amazonaws.com/${PERMISSION_SETS[0]}`,
      email,
      { createdAt: this.time - 1_800_000 },
    );
    return { at: this.time, identity, sourceIp: `198.51.100.${r.int(2, 254)}`, userAgent: 'AWS Internal', console: true };
  }

  private roleChange(): TrailRecord {
    const r = this.b.random;
    const role = r.pick(this.roles);
    const call = this.changer();
    if (!role.created) {
      role.created = true;
      return this.b.createRole(call, {
        roleName: role.name,
        trust: this.trustOf(role),
        tags: { team: role.name.split('-')[0] ?? 'platform' },
      });
    }
    const roll = r.next();
    if (roll < 0.3) {
      const name = role.inline[0] && r.chance(0.5) ? role.inline[0] : `${role.name}-policy-${r.int(1, 9)}`;
      if (!role.inline.includes(name)) role.inline.push(name);
      return this.b.putRolePolicy(call, role.name, name, r.chance(0.01) ? r.pick(RISKY_INLINE) : this.scopedPolicy(role));
    }
    if (roll < 0.55) {
      const arn = r.chance(0.01) ? r.pick(RISKY_MANAGED) : r.pick(MANAGED);
      if (!role.attached.includes(arn)) role.attached.push(arn);
      return this.b.attachRolePolicy(call, role.name, arn);
    }
    if (roll < 0.65 && role.attached.length > 0) {
      const arn = role.attached.splice(r.int(0, role.attached.length - 1), 1)[0] ?? r.pick(MANAGED);
      return this.b.detachRolePolicy(call, role.name, arn);
    }
    if (roll < 0.75) return this.b.updateAssumeRolePolicy(call, role.name, this.trustOf(role));
    if (roll < 0.8 && role.inline.length > 0) {
      const name = role.inline.splice(r.int(0, role.inline.length - 1), 1)[0] ?? `${role.name}-policy-1`;
      return this.b.deleteRolePolicy(call, role.name, name);
    }
    if (roll < 0.81) {
      // Deleted, to be created again by a later change: stacks are torn down and redeployed.
      role.created = false;
      role.inline = [];
      role.attached = [];
      return this.b.deleteRole(call, role.name);
    }
    return this.b.tagRole(call, role.name, {
      team: role.name.split('-')[0] ?? 'platform',
      'cost-center': String(r.int(4000, 4999)),
      env: r.pick(['prod', 'staging']),
    });
  }

  private trustOf(role: StreamRole): Record<string, unknown> {
    const r = this.b.random;
    switch (role.kind) {
      case 'service':
        return serviceTrustPolicy(
          role.principal,
          r.chance(0.4) ? { StringEquals: { 'aws:SourceAccount': STREAM_ACCOUNT } } : undefined,
        );
      case 'human':
        return awsTrustPolicy(
          r.chance(0.5)
            ? [`arn:aws:iam::${STREAM_ACCOUNT}:root`]
            : [
                `arn:aws:iam::${r.pick(ORG_ACCOUNTS)}:root`,
                `arn:aws:iam::${STREAM_ACCOUNT}:role/aws-reserved/sso.amazonaws.com/${PERMISSION_SETS[0]}`,
              ],
        );
      case 'vendor':
        return awsTrustPolicy([`arn:aws:iam::${VENDOR_ACCOUNT}:root`], {
          StringEquals: { 'sts:ExternalId': '7c5e1f0a9b8d4e2c9f3a6b1d0e8c7a54' },
        });
      case 'web-identity':
        if (role.principal.startsWith('repo:')) return githubTrustPolicy(STREAM_ACCOUNT, [role.principal]);
        return trustPolicy({ Federated: EKS_PROVIDER }, 'sts:AssumeRoleWithWebIdentity', {
          StringEquals: {
            'oidc.eks.us-east-1.amazonaws.com/id/5C1D3A9E0B7F24E86D1A4C3B2F0E9D87:aud': 'sts.amazonaws.com',
            'oidc.eks.us-east-1.amazonaws.com/id/5C1D3A9E0B7F24E86D1A4C3B2F0E9D87:sub': role.principal,
          },
        });
    }
  }

  /** A least-privilege policy of 2–6 statements, as CDK writes them (`…DefaultPolicy`): 0.5–2 KB of JSON. */
  private scopedPolicy(role: StreamRole): Record<string, unknown> {
    const r = this.b.random;
    const [team = 'platform', app = 'api'] = role.name.split('-');
    const statements = [];
    const count = r.int(2, 6);
    for (let i = 0; i < count; i++) {
      const service = SERVICE_ACTIONS[r.pick(SERVICE_KEYS)];
      if (!service) continue;
      const actions = service.actions.filter(() => r.chance(0.6));
      statements.push({
        Effect: 'Allow',
        Action: actions.length > 0 ? actions : [service.actions[0]],
        Resource: [service.resource(team, app), ...(r.chance(0.3) ? [service.resource(team, `${app}-dlq`)] : [])],
      });
    }
    return { Version: '2012-10-17', Statement: statements };
  }

  // Failures

  private failedCall(): TrailRecord {
    const r = this.b.random;
    if (r.chance(0.7)) {
      const record = this.assumeRole();
      const role = (record.requestParameters as { roleArn?: string } | null)?.roleArn ?? 'unknown';
      return failedCall(
        record,
        'AccessDenied',
        `User: ${callerOf(record)} is not authorized to perform: sts:AssumeRole on resource: ${role}`,
      );
    }
    const role = r.pick(this.roles);
    const call = this.changer();
    if (r.chance(0.5)) {
      return failedCall(
        this.b.attachRolePolicy(call, role.name, r.pick(RISKY_MANAGED)),
        'AccessDenied',
        `User: ${String(call.identity.arn)} is not authorized to perform: iam:AttachRolePolicy on resource: role ${role.name} with an explicit deny in a service control policy`,
      );
    }
    return failedCall(
      this.b.updateAssumeRolePolicy(call, role.name, this.trustOf(role)),
      role.created ? 'MalformedPolicyDocumentException' : 'NoSuchEntityException',
      role.created
        ? 'Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role/deleted-role"'
        : `The role with name ${role.name} cannot be found.`,
    );
  }
}

/** The caller of a record, as an STS error message names it. */
function callerOf(record: TrailRecord): string {
  const identity = record.userIdentity as UserIdentity | undefined;
  return identity?.arn ?? identity?.invokedBy ?? identity?.principalId ?? 'unknown';
}
