/**
 * A realistic day of CloudTrail in account 123456789012, for `rolewatch demo` and the demo tests.
 *
 * The everyday: Lambda, ECS and EC2 assuming their roles all day; a monitoring vendor (999988887777) assuming
 * its integration role with an ExternalId; the organization's automation (111122223333) auditing; GitHub
 * Actions deploying through an OIDC role with a proper `sub` condition and the CDK bootstrap roles, so that
 * CloudFormation creates and changes roles; engineers in IAM Identity Center sessions assuming roles and making
 * a few changes by hand (one denied).
 *
 * The incident: at 14:12 the leaked access key of IAM user svc-reporting creates role aws-support-sync trusting
 * account 444455556666, attaches AdministratorAccess, and an hour later a principal of 444455556666 assumes it.
 * Lesser issues: a GitHub OIDC role trusting every repository of the organization (`repo:acme/*`), and
 * StopLogging on a trail.
 */
import { type Config, validateConfig } from '../config/config';
import {
  awsTrustPolicy,
  type Caller,
  failedCall,
  githubTrustPolicy,
  permissionPolicy,
  serviceTrustPolicy,
  type TrailRecord,
  TrailRecordBuilder,
  type UserIdentity,
} from '../syntheticTrail/records';

/** The monitored account. */
export const DEMO_ACCOUNT = '123456789012';
/** Another account of the organization (known). */
export const ORG_ACCOUNT = '111122223333';
/** The monitoring vendor, a declared third party that must use an ExternalId. */
export const VENDOR_ACCOUNT = '999988887777';
/** The attacker's account: nobody declared it. */
export const ATTACKER_ACCOUNT = '444455556666';
/** The day the scenario takes place (UTC). */
export const DEMO_DAY = '2026-11-02';

/** The roles the scenario is about, by what they show. */
export const DEMO_ROLES = {
  backdoor: 'aws-support-sync',
  broadOidc: 'gha-infra-plan',
  githubDeploy: 'github-deploy',
  vendor: 'DatadogIntegrationRole',
  /** Roles CloudFormation (CDK) creates or changes during the day, and the CDK bootstrap roles. */
  ci: [
    'OrdersStack-RefundsHandlerServiceRole3C5E8A1F-1QX8Z7P0K2LM',
    'CiStack-BuildProjectRole7F2A9C4B-9KD2LQ0XW8TR',
    'cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1',
    'cdk-hnb659fds-deploy-role-123456789012-us-east-1',
    'cdk-hnb659fds-file-publishing-role-123456789012-us-east-1',
    'cdk-hnb659fds-lookup-role-123456789012-us-east-1',
  ],
} as const;

/** The trail the scenario stops. */
export const DEMO_TRAIL = `arn:aws:cloudtrail:us-east-1:${DEMO_ACCOUNT}:trail/s3-data-events`;

/**
 * The configuration that matches the scenario. The learning period is six hours: monitoring starts at
 * midnight, so first-time assumptions from the working day on are judged.
 */
export function demoConfig(): Config {
  return validateConfig({
    knownAccounts: [ORG_ACCOUNT],
    trustedThirdParties: [{ account: VENDOR_ACCOUNT, name: 'datadog', requireExternalId: true }],
    protectedRoles: ['BreakGlass*'],
    iacPrincipals: ['cloudformation.amazonaws.com', 'arn:aws:iam::*:role/cdk-*'],
    correlation: { learningPeriodDays: 0.25 },
  });
}

const HOUR = 3_600_000;
const MINUTE = 60_000;
const DAY_START = Date.parse(`${DEMO_DAY}T00:00:00Z`);
const DAY_END = DAY_START + 24 * HOUR;

const roleArn = (name: string, path = '/') => `arn:aws:iam::${DEMO_ACCOUNT}:role${path}${name}`;
const SSO_PATH = '/aws-reserved/sso.amazonaws.com/';
const PLATFORM_ENGINEER = roleArn('AWSReservedSSO_PlatformEngineer_c3a9f2e81d4b6075', SSO_PATH);
const READ_ONLY = roleArn('AWSReservedSSO_ReadOnly_5b1e0c9d7a3f2468', SSO_PATH);
const [REFUNDS_ROLE, BUILD_ROLE, CFN_EXEC, CDK_DEPLOY, CDK_PUBLISH, CDK_LOOKUP] = DEMO_ROLES.ci;
const GITHUB_PROVIDER = `arn:aws:iam::${DEMO_ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
const DATADOG_EXTERNAL_ID = { old: '7c5e1f0a9b8d4e2c9f3a6b1d0e8c7a54', new: 'e41b9d07c3a24f6e8b15a0c9d7f2e316' };

const AWS_MANAGED = (name: string) => `arn:aws:iam::aws:policy/${name}`;

const UA = {
  cli: (command: string) =>
    `aws-cli/2.27.41 md/awscrt#0.26.1 ua/2.1 os/macos#24.5.0 md/arch#arm64 lang/python#3.13.4 md/pyimpl#CPython m/b,E,N cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#${command}`,
  cdkLaptop: 'aws-sdk-js/3.693.0 ua/2.1 os/darwin#24.5.0 lang/js md/nodejs#20.18.1 api/sts#3.693.0 m/N,E,e aws-cdk/2.170.0',
  cdkRunner:
    'aws-sdk-js/3.693.0 ua/2.1 os/linux#6.11.0-1015-azure lang/js md/nodejs#20.19.2 api/sts#3.693.0 m/N,E,e aws-cdk/2.170.0',
  githubOidc:
    'aws-sdk-js/3.821.0 ua/2.1 os/linux#6.11.0-1015-azure lang/js md/nodejs#20.19.2 api/sts#3.821.0 m/N,E,e configure-aws-credentials-for-github-actions',
  console: 'AWS Internal',
  boto: 'Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#6.8.0-45-generic md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.36',
  lambdaBoto:
    'Boto3/1.34.145 md/Botocore#1.34.145 ua/2.0 os/linux#5.10.227-239.884.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.145',
  datadog: 'aws-sdk-go/1.55.5 (go1.22.7; linux; amd64)',
  jenkins: 'aws-cli/1.18.69 Python/2.7.18 Linux/4.14.355-271.569.amzn2.x86_64 botocore/1.16.19',
};

interface Person {
  email: string;
  permissionSet: string;
  ip: string;
  /** When the person's Identity Center session began. */
  signedInAt: number;
}

/** The scenario's records, in eventTime order (ties in the order the day wrote them). */
export function demoEvents(): TrailRecord[] {
  return new DemoDay().build();
}

/** Writes the day: one method per storyline, each pushing records stamped with their own times. */
class DemoDay {
  private readonly b = new TrailRecordBuilder({ seed: 'rolewatch-demo-2026-11-02', account: DEMO_ACCOUNT });
  private readonly records: TrailRecord[] = [];
  private readonly people = {
    marco: {
      email: 'marco.bianchi@acme.example',
      permissionSet: PLATFORM_ENGINEER,
      ip: '198.51.100.24',
      signedInAt: at('08:52:10'),
    },
    priya: {
      email: 'priya.natarajan@acme.example',
      permissionSet: PLATFORM_ENGINEER,
      ip: '198.51.100.31',
      signedInAt: at('09:58:41'),
    },
    sam: { email: 'sam.okafor@acme.example', permissionSet: PLATFORM_ENGINEER, ip: '192.0.2.143', signedInAt: at('13:30:02') },
    li: { email: 'li.wei@acme.example', permissionSet: READ_ONLY, ip: '203.0.113.77', signedInAt: at('12:31:55') },
  } satisfies Record<string, Person>;

  build(): TrailRecord[] {
    this.serviceWorkloads();
    this.vendor();
    this.organization();
    this.legacyJenkins();
    this.engineerSessions();
    this.githubDeploys();
    this.handMadeChanges();
    this.broadOidcRole();
    this.backdoor();
    this.stopLogging();
    // Array.prototype.sort is stable: records of the same second keep the order they were written in.
    return this.records.sort((x, y) =>
      String(x.eventTime) < String(y.eventTime) ? -1 : String(x.eventTime) > String(y.eventTime) ? 1 : 0,
    );
  }

  /** Lambda, ECS and EC2 refresh their role credentials all day long: the bulk of any trail. */
  private serviceWorkloads(): void {
    const functions = [
      { role: 'orders-api-handler-role', fn: 'orders-api-handler', every: [45, 100] },
      { role: 'payments-webhook-role', fn: 'payments-webhook', every: [50, 120] },
      { role: 'image-resizer-role', fn: 'image-resizer', every: [60, 140] },
    ] as const;
    for (const { role, fn, every } of functions) {
      this.repeat(at('00:04:00'), DAY_END, every, (t) => this.serviceAssume(t, 'lambda.amazonaws.com', roleArn(role), fn));
    }
    this.serviceAssume(at('02:00:03'), 'lambda.amazonaws.com', roleArn('nightly-report-role'), 'nightly-report');
    for (let task = 0; task < 2; task++) {
      const taskId = this.b.hex(32);
      this.repeat(at('00:20:00') + task * 37 * MINUTE, DAY_END, [90, 130], (t) =>
        this.serviceAssume(t, 'ecs-tasks.amazonaws.com', roleArn('checkout-task-role'), taskId),
      );
    }
    for (const role of ['bastion-instance-role', 'build-runner-instance-role']) {
      const instance = `i-0${this.b.hex(16)}`;
      this.repeat(at('01:10:00'), DAY_END, [330, 370], (t) =>
        this.serviceAssume(t, 'ec2.amazonaws.com', roleArn(role), instance),
      );
    }
  }

  /**
   * Datadog-like vendor: assumes its integration role with an ExternalId every ~45 minutes and reads IAM with
   * it. At 11:50 an engineer rotates the ExternalId through the vendor's CloudFormation stack; the vendor's
   * first try afterwards still uses the old one and is denied.
   */
  private vendor(): void {
    const vendorRole = roleArn(DEMO_ROLES.vendor);
    const crawler = this.b.awsAccount(
      VENDOR_ACCOUNT,
      `${this.b.stableId('AROA', `arn:aws:iam::${VENDOR_ACCOUNT}:role/DatadogAWSIntegrationCrawler`)}:DatadogAWSIntegration`,
    );
    const rotatedAt = at('11:50:31');
    this.repeat(at('00:11:00'), DAY_END, [40, 50], (t) => {
      const externalId = t < rotatedAt ? DATADOG_EXTERNAL_ID.old : DATADOG_EXTERNAL_ID.new;
      const call: Caller = {
        at: t,
        identity: crawler,
        sourceIp: `3.233.14${this.b.random.int(4, 7)}.${this.b.random.int(10, 250)}`,
        userAgent: UA.datadog,
      };
      this.push(
        this.b.assumeRole(call, {
          roleArn: vendorRole,
          roleSessionName: 'DatadogAWSIntegration',
          durationSeconds: 3600,
          externalId,
        }),
      );
      if (this.b.random.chance(0.25)) {
        const session = this.b.roleSession(vendorRole, 'DatadogAWSIntegration', { createdAt: t });
        this.push(this.b.iamRead({ ...call, at: t + 4000, identity: session }, 'ListRoles', { maxItems: 100 }));
      }
    });
    const marco = this.people.marco;
    const viaCloudFormation: Caller = {
      at: rotatedAt,
      identity: this.b.roleSession(marco.permissionSet, marco.email, {
        createdAt: marco.signedInAt,
        invokedBy: 'cloudformation.amazonaws.com',
      }),
      sourceIp: 'cloudformation.amazonaws.com',
      userAgent: 'cloudformation.amazonaws.com',
    };
    this.push(
      this.b.updateAssumeRolePolicy(
        viaCloudFormation,
        DEMO_ROLES.vendor,
        awsTrustPolicy([`arn:aws:iam::${VENDOR_ACCOUNT}:root`], { StringEquals: { 'sts:ExternalId': DATADOG_EXTERNAL_ID.new } }),
      ),
    );
    const stale = this.b.assumeRole(
      { at: rotatedAt + 3 * MINUTE, identity: crawler, sourceIp: '3.233.146.88', userAgent: UA.datadog },
      {
        roleArn: vendorRole,
        roleSessionName: 'DatadogAWSIntegration',
        durationSeconds: 3600,
        externalId: DATADOG_EXTERNAL_ID.old,
      },
    );
    this.push(
      failedCall(
        stale,
        'AccessDenied',
        `User: arn:aws:sts::${VENDOR_ACCOUNT}:assumed-role/DatadogAWSIntegrationCrawler/DatadogAWSIntegration is not authorized to perform: sts:AssumeRole on resource: ${vendorRole}`,
      ),
    );
  }

  /** The organization's automation account audits this one every four hours; an on-call engineer of it drops in. */
  private organization(): void {
    const automation = `arn:aws:iam::${ORG_ACCOUNT}:role/ops-automation`;
    for (let hour = 0; hour < 24; hour += 4) {
      const identity = this.b.awsAccount(ORG_ACCOUNT, `${this.b.stableId('AROA', automation)}:security-audit-${DEMO_DAY}`);
      this.push(
        this.b.assumeRole(
          { at: at(`${pad(hour)}:15:07`), identity, sourceIp: '54.86.201.17', userAgent: UA.lambdaBoto },
          { roleArn: roleArn('security-audit'), roleSessionName: `security-audit-${DEMO_DAY}`, durationSeconds: 900 },
        ),
      );
    }
    const oncall = this.b.awsAccount(
      ORG_ACCOUNT,
      `${this.b.stableId('AROA', `arn:aws:iam::${ORG_ACCOUNT}:role/oncall`)}:hana.kobayashi@acme.example`,
    );
    this.push(
      this.b.assumeRole(
        { at: at('17:40:22'), identity: oncall, sourceIp: '198.51.100.88', userAgent: UA.cli('sts.assume-role') },
        { roleArn: roleArn('prod-support'), roleSessionName: 'hana.kobayashi@acme.example', durationSeconds: 3600 },
      ),
    );
  }

  /** An old Jenkins still publishes artifacts with an IAM user's access key. */
  private legacyJenkins(): void {
    const jenkins = this.b.iamUser(DEMO_ACCOUNT, 'jenkins-ci');
    for (const time of ['03:00:12', '09:00:09', '15:00:14', '21:00:11']) {
      this.push(
        this.b.assumeRole(
          { at: at(time), identity: jenkins, sourceIp: '34.201.88.14', userAgent: UA.jenkins },
          { roleArn: roleArn('artifact-publisher'), roleSessionName: `jenkins-${time.slice(0, 2)}`, durationSeconds: 3600 },
        ),
      );
    }
  }

  /** Engineers signed in through IAM Identity Center assume working roles (role chaining). */
  private engineerSessions(): void {
    const { marco, priya, li } = this.people;
    // marco runs `cdk diff` from his laptop before the first deploy of the day.
    this.chain(marco, at('09:10:44'), CDK_LOOKUP, UA.cdkLaptop);
    this.chain(marco, at('09:10:46'), CDK_DEPLOY, UA.cdkLaptop);
    this.chain(priya, at('10:30:05'), 'prod-support', UA.cli('sts.assume-role'));
    this.chain(priya, at('15:02:51'), 'prod-support', UA.cli('sts.assume-role'));
    this.chain(li, at('13:20:18'), 'log-reader', UA.cli('sts.assume-role'));
  }

  /**
   * GitHub Actions deploys acme/platform four times: OIDC into github-deploy, then the CDK bootstrap roles;
   * CloudFormation assumes the CDK execution role and makes the role changes of each deploy.
   */
  private githubDeploys(): void {
    this.deploy(at('09:40:03'), (cfn) => {
      const trust = serviceTrustPolicy('lambda.amazonaws.com');
      this.push(
        this.b.createRole(cfn(20), { roleName: REFUNDS_ROLE, trust, tags: { 'aws:cloudformation:stack-name': 'OrdersStack' } }),
      );
      this.push(this.b.attachRolePolicy(cfn(24), REFUNDS_ROLE, AWS_MANAGED('service-role/AWSLambdaBasicExecutionRole')));
      this.push(
        this.b.putRolePolicy(
          cfn(31),
          REFUNDS_ROLE,
          'RefundsHandlerServiceRoleDefaultPolicy8B3D2A61',
          permissionPolicy(
            {
              Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
              Resource: `arn:aws:dynamodb:us-east-1:${DEMO_ACCOUNT}:table/orders`,
            },
            { Action: 'sqs:SendMessage', Resource: `arn:aws:sqs:us-east-1:${DEMO_ACCOUNT}:refunds` },
          ),
        ),
      );
      this.repeat(at('09:46:10'), DAY_END, [40, 110], (t) =>
        this.serviceAssume(t, 'lambda.amazonaws.com', roleArn(REFUNDS_ROLE), 'OrdersStack-RefundsHandler'),
      );
    });

    this.deploy(at('11:15:40'), (cfn) => {
      const trust = serviceTrustPolicy('codebuild.amazonaws.com', { StringEquals: { 'aws:SourceAccount': DEMO_ACCOUNT } });
      this.push(
        this.b.createRole(cfn(18), { roleName: BUILD_ROLE, trust, tags: { 'aws:cloudformation:stack-name': 'CiStack' } }),
      );
      this.push(
        this.b.putRolePolicy(
          cfn(26),
          BUILD_ROLE,
          'BuildProjectRoleDefaultPolicyA1B2C3D4',
          permissionPolicy(
            {
              Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
              Resource: `arn:aws:logs:us-east-1:${DEMO_ACCOUNT}:log-group:/aws/codebuild/platform-build:*`,
            },
            { Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::acme-build-artifacts/*' },
            {
              Action: [
                'ecr:BatchCheckLayerAvailability',
                'ecr:InitiateLayerUpload',
                'ecr:UploadLayerPart',
                'ecr:CompleteLayerUpload',
                'ecr:PutImage',
              ],
              Resource: `arn:aws:ecr:us-east-1:${DEMO_ACCOUNT}:repository/platform`,
            },
            { Action: 'ecr:GetAuthorizationToken', Resource: '*' },
          ),
        ),
      );
      // The deploy job also gets a production environment: its subject is added to the OIDC role's trust.
      this.push(
        this.b.updateAssumeRolePolicy(
          cfn(33),
          DEMO_ROLES.githubDeploy,
          githubTrustPolicy(DEMO_ACCOUNT, [
            'repo:acme/platform:ref:refs/heads/main',
            'repo:acme/platform:environment:production',
          ]),
        ),
      );
      for (const time of ['11:31:02', '13:02:47', '15:48:19', '17:25:30', '19:12:05']) {
        this.serviceAssume(at(time), 'codebuild.amazonaws.com', roleArn(BUILD_ROLE), `AWSCodeBuild-${this.b.uuid()}`);
      }
    });

    this.deploy(at('14:30:12'), () => {});

    this.deploy(at('16:50:27'), (cfn) => {
      this.push(
        this.b.putRolePolicy(
          cfn(22),
          REFUNDS_ROLE,
          'RefundsHandlerServiceRoleDefaultPolicy8B3D2A61',
          permissionPolicy(
            {
              Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
              Resource: `arn:aws:dynamodb:us-east-1:${DEMO_ACCOUNT}:table/orders`,
            },
            {
              Action: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage'],
              Resource: `arn:aws:sqs:us-east-1:${DEMO_ACCOUNT}:refunds`,
            },
          ),
        ),
      );
    });
  }

  /** Benign changes made by hand, one of them denied. */
  private handMadeChanges(): void {
    const { marco, priya, li } = this.people;
    this.push(this.b.tagRole(this.console(priya, at('10:05:12')), 'prod-support', { team: 'platform', 'cost-center': '4410' }));
    this.push(this.b.updateRole(this.console(priya, at('10:07:40')), 'prod-support', { maxSessionDuration: 14400 }));
    this.push(
      this.b.putRolePolicy(
        this.cli(marco, at('13:05:09'), 'iam.put-role-policy'),
        'prod-support',
        'read-app-logs',
        JSON.stringify(
          permissionPolicy({
            Action: ['logs:GetLogEvents', 'logs:FilterLogEvents', 'logs:DescribeLogStreams'],
            Resource: `arn:aws:logs:us-east-1:${DEMO_ACCOUNT}:log-group:/aws/lambda/orders-*`,
          }),
          null,
          4,
        ),
      ),
    );
    // Deleting a role in the console: its policies go first.
    const legacy = 'legacy-batch-runner';
    this.push(this.b.iamRead(this.console(marco, at('15:30:02')), 'ListAttachedRolePolicies', { roleName: legacy }));
    this.push(this.b.iamRead(this.console(marco, at('15:30:02')), 'ListRolePolicies', { roleName: legacy }));
    this.push(this.b.detachRolePolicy(this.console(marco, at('15:30:09')), legacy, AWS_MANAGED('AmazonS3ReadOnlyAccess')));
    this.push(this.b.deleteRolePolicy(this.console(marco, at('15:30:10')), legacy, 'batch-queue-access'));
    this.push(this.b.deleteRole(this.console(marco, at('15:30:11')), legacy));
    // A read-only session cannot change roles: the call fails and must not change anything.
    const denied = this.b.attachRolePolicy(
      this.cli(li, at('12:40:33'), 'iam.attach-role-policy'),
      'log-reader',
      AWS_MANAGED('ReadOnlyAccess'),
    );
    this.push(
      failedCall(
        denied,
        'AccessDenied',
        `User: arn:aws:sts::${DEMO_ACCOUNT}:assumed-role/AWSReservedSSO_ReadOnly_5b1e0c9d7a3f2468/${li.email} is not authorized to perform: iam:AttachRolePolicy on resource: role log-reader because no identity-based policy allows the iam:AttachRolePolicy action`,
      ),
    );
  }

  /** A role for `terraform plan` in pull requests, made in the console, trusting every repository of the organization. */
  private broadOidcRole(): void {
    const sam = this.people.sam;
    this.push(this.b.iamRead(this.console(sam, at('13:44:20')), 'ListOpenIDConnectProviders', null));
    this.push(
      this.b.createRole(this.console(sam, at('13:45:51')), {
        roleName: DEMO_ROLES.broadOidc,
        trust: JSON.stringify(githubTrustPolicy(DEMO_ACCOUNT, ['repo:acme/*'], 'StringLike'), null, 4),
        description: 'terraform plan from GitHub Actions pull requests',
        maxSessionDuration: 3600,
      }),
    );
    this.push(this.b.attachRolePolicy(this.console(sam, at('13:46:15')), DEMO_ROLES.broadOidc, AWS_MANAGED('ReadOnlyAccess')));
    this.webIdentity(at('14:05:33'), DEMO_ROLES.broadOidc, 'repo:acme/infra:pull_request');
    this.webIdentity(at('16:20:08'), DEMO_ROLES.broadOidc, 'repo:acme/website:ref:refs/heads/feature-preview');
  }

  /** The incident: a leaked IAM user key mints a role for account 444455556666, which uses it an hour later. */
  private backdoor(): void {
    const leaked = this.b.iamUser(DEMO_ACCOUNT, 'svc-reporting');
    const from = (time: string): Caller => ({ at: at(time), identity: leaked, sourceIp: '45.95.147.22', userAgent: UA.boto });
    this.push(
      this.b.apiCall({
        ...from('14:10:05'),
        eventSource: 'sts.amazonaws.com',
        eventName: 'GetCallerIdentity',
        request: null,
        readOnly: true,
      }),
    );
    this.push(this.b.iamRead(from('14:11:40'), 'ListRoles', null));
    this.push(
      this.b.createRole(from('14:12:37'), {
        roleName: DEMO_ROLES.backdoor,
        trust: awsTrustPolicy([`arn:aws:iam::${ATTACKER_ACCOUNT}:root`]),
        description: 'AWS Support case data sync',
      }),
    );
    this.push(this.b.attachRolePolicy(from('14:13:05'), DEMO_ROLES.backdoor, AWS_MANAGED('AdministratorAccess')));
    const outsider = this.b.awsAccount(
      ATTACKER_ACCOUNT,
      `${this.b.stableId('AROA', `arn:aws:iam::${ATTACKER_ACCOUNT}:role/ops`)}:sync`,
    );
    this.push(
      this.b.assumeRole(
        { at: at('15:14:20'), identity: outsider, sourceIp: '185.220.101.33', userAgent: UA.boto, region: 'eu-central-1' },
        { roleArn: roleArn(DEMO_ROLES.backdoor), roleSessionName: 'sync', durationSeconds: 43200 },
      ),
    );
    const session = this.b.roleSession(roleArn(DEMO_ROLES.backdoor), 'sync', { createdAt: at('15:14:20') });
    this.push(
      this.b.iamRead(
        { at: at('15:16:02'), identity: session, sourceIp: '185.220.101.33', userAgent: UA.boto },
        'ListUsers',
        null,
      ),
    );
  }

  /** An engineer stops a trail "to save costs". */
  private stopLogging(): void {
    const sam = this.people.sam;
    this.push(this.b.stopLogging(this.cli(sam, at('19:05:44'), 'cloudtrail.stop-logging'), DEMO_TRAIL));
  }

  // Building blocks

  private push(record: TrailRecord): void {
    this.records.push(record);
  }

  /** Calls `write(t)` from `start` until `end`, every `every[0]`–`every[1]` minutes. */
  private repeat(start: number, end: number, every: readonly [number, number], write: (t: number) => void): void {
    for (let t = start; t < end; t += this.b.random.int(every[0], every[1]) * MINUTE + this.b.random.int(0, 59_000)) write(t);
  }

  private serviceAssume(t: number, service: string, arn: string, sessionName: string): void {
    this.push(
      this.b.assumeRole(
        { at: t, identity: this.b.service(service), sourceIp: service, userAgent: service },
        { roleArn: arn, roleSessionName: sessionName },
      ),
    );
  }

  private sso(person: Person): UserIdentity {
    return this.b.roleSession(person.permissionSet, person.email, { createdAt: person.signedInAt });
  }

  private console(person: Person, t: number): Caller {
    return { at: t, identity: this.sso(person), sourceIp: person.ip, userAgent: UA.console, console: true };
  }

  private cli(person: Person, t: number, command: string): Caller {
    return { at: t, identity: this.sso(person), sourceIp: person.ip, userAgent: UA.cli(command) };
  }

  /** An Identity Center session assumes a role of this account. */
  private chain(person: Person, t: number, role: string, userAgent: string): void {
    this.push(
      this.b.assumeRole(
        { at: t, identity: this.sso(person), sourceIp: person.ip, userAgent },
        { roleArn: roleArn(role), roleSessionName: person.email, durationSeconds: 3600, sourceIdentity: person.email },
      ),
    );
  }

  private webIdentity(t: number, role: string, subject: string): void {
    this.push(
      this.b.assumeRoleWithWebIdentity(
        {
          at: t,
          identity: this.b.webIdentityUser(GITHUB_PROVIDER, subject, 'sts.amazonaws.com'),
          sourceIp: githubRunnerIp(this.b),
          userAgent: UA.githubOidc,
        },
        { roleArn: roleArn(role), roleSessionName: 'GitHubActions', durationSeconds: 3600 },
        { subject, provider: GITHUB_PROVIDER, audience: 'sts.amazonaws.com' },
      ),
    );
  }

  /**
   * One CDK deploy from GitHub Actions. `changes` receives a caller for CloudFormation's calls through the
   * execution role, `cfn(seconds)` seconds after the deploy starts.
   */
  private deploy(start: number, changes: (cfn: (seconds: number) => Caller) => void): void {
    const subject = 'repo:acme/platform:environment:production';
    this.webIdentity(start, DEMO_ROLES.githubDeploy, subject);
    const runnerIp = githubRunnerIp(this.b);
    const session = this.b.roleSession(roleArn(DEMO_ROLES.githubDeploy), 'GitHubActions', { createdAt: start });
    [CDK_LOOKUP, CDK_PUBLISH, CDK_DEPLOY].forEach((role, i) => {
      this.push(
        this.b.assumeRole(
          { at: start + (4 + i * 3) * 1000, identity: session, sourceIp: runnerIp, userAgent: UA.cdkRunner },
          { roleArn: roleArn(role), roleSessionName: `aws-cdk-${this.b.hex(8)}`, durationSeconds: 3600 },
        ),
      );
    });
    const execAt = start + 15_000;
    this.serviceAssume(execAt, 'cloudformation.amazonaws.com', roleArn(CFN_EXEC), 'AWSCloudFormation');
    const identity = this.b.roleSession(roleArn(CFN_EXEC), 'AWSCloudFormation', {
      createdAt: execAt,
      invokedBy: 'cloudformation.amazonaws.com',
    });
    changes((seconds) => ({
      at: start + seconds * 1000,
      identity,
      sourceIp: 'cloudformation.amazonaws.com',
      userAgent: 'cloudformation.amazonaws.com',
    }));
  }
}

/** Epoch ms of a time of the demo day (`HH:MM:SS`, UTC). */
function at(time: string): number {
  return Date.parse(`${DEMO_DAY}T${time}Z`);
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** GitHub-hosted runners call from Azure address space. */
function githubRunnerIp(b: TrailRecordBuilder): string {
  return `${b.random.pick(['20.55', '4.175', '52.154', '172.183'])}.${b.random.int(1, 254)}.${b.random.int(1, 254)}`;
}
