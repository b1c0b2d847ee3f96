import { oneLine } from '../alerts/text';
import { AWS_CLIENT_OPTIONS } from '../awsClients';
import { isRegionName } from '../config/config';
import { type CheckResult, type DoctorTarget, runDoctor } from '../doctor/doctor';
import { calling } from '../doctor/probe';
import { cannotTell, fail, pass } from '../doctor/result';
import { RoleWatchError, ValidationError } from '../errors';
import { defineCommand, HELP_OPTION, parseFormat, resolveConfig } from './options';

const HELP = `usage: rolewatch doctor [--stage STAGE] [--region REGION] [--regions r1,r2] [--format table|jsonl]

Checks, read-only and with your AWS credentials, that RoleWatch deployed as stack rolewatch-STAGE in REGION
can see what it watches, and says how to fix what it cannot:
  stack                  the stack exists (its alert topic, queues and table are read from it)
  trail:REGION           a trail logs management events, read and write, in us-east-1 (IAM), REGION and every
                         region wanted (--regions, or regions: in the configuration), and is logging
  rule:NAME              RoleWatch's EventBridge rules exist, are enabled, have targets and this version's
                         patterns; the role-assumption rules in ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
  forwarder:REGION       the forwarding rules of rolewatch forwarder-template, where events must be forwarded
  alert-subscription     someone confirmed a subscription to the alert topic
  dead-letter-queue:Q    no event waits in a dead-letter queue
  last-event:KIND        when RoleWatch last saw an IAM change, a role assumption, a monitor call (no role
                         assumption for --max-silence-hours fails)
Each check prints PASS, FAIL with the fix, or CANNOT-TELL with the permission that was missing.
Exit code: 0 all pass, 1 some check failed, 3 none failed but some could not tell, 2 bad usage.

options:
  --stage STAGE            RoleWatch's stage (osls deploy --stage; default dev)
  --region REGION          where RoleWatch is deployed (default: AWS_REGION, else us-east-1)
  --regions LIST           other regions whose role assumptions are wanted, comma-separated
  --config FILE            rolewatch.config.yml/.json (its regions and organization; default ./rolewatch.config.*)
  --format FORMAT          table (default) or jsonl (one check per line)
  --max-silence-hours N    hours without a role assumption that count as blind (default 24)
`;

/** Exit codes of `rolewatch doctor`. */
export const DOCTOR_EXIT = { ok: 0, failed: 1, cannotTell: 3 } as const;

/** `rolewatch doctor`: every check, printed, and an exit code for scripts. */
export function runDoctorCommand(args: string[], now: () => number = Date.now): Promise<number> {
  return defineCommand(
    HELP,
    {
      options: {
        stage: { type: 'string' },
        region: { type: 'string' },
        regions: { type: 'string' },
        config: { type: 'string' },
        format: { type: 'string' },
        'max-silence-hours': { type: 'string' },
        ...HELP_OPTION,
      },
    },
    async ({ values }) => {
      const format = parseFormat(values.format);
      const stage = values.stage ?? 'dev';
      if (!/^[A-Za-z0-9-]{1,20}$/.test(stage))
        throw new ValidationError('--stage', `"${stage}" is not a stage name (1-20 letters, digits and -)`);
      const region = values.region ?? process.env.AWS_REGION ?? 'us-east-1';
      if (!isRegionName(region)) throw new ValidationError('--region', `"${region}" is not an AWS region name`);
      const extra = (values.regions ?? '')
        .split(',')
        .map((r) => r.trim())
        .filter((r) => r !== '');
      for (const r of extra) if (!isRegionName(r)) throw new ValidationError('--regions', `"${r}" is not an AWS region name`);
      const silence = values['max-silence-hours'] ?? '24';
      if (!/^\d{1,4}$/.test(silence) || Number(silence) < 1)
        throw new ValidationError('--max-silence-hours', `must be a whole number of hours, got "${silence}"`);
      const config = resolveConfig(values.config);

      const clients = await awsClients(region);
      const stack = await readStack(clients, stage, region);
      const resources = stack.resources;
      const tableName = resources?.RoleWatchTable;
      const probe = clients.createAwsMonitorProbe({
        region,
        lastEvents: async () => {
          if (!tableName) throw new RoleWatchError(`RoleWatch's table is unknown (see check stack)`);
          return clients.stores(tableName).state.lastEvents();
        },
      });
      const unknownBecause = resources ? undefined : `the resources of stack rolewatch-${stage} are unknown (see check stack)`;
      const target: DoctorTarget = {
        stage,
        region,
        regions: [...new Set([...config.regions, ...extra])].filter((r) => r !== region),
        organization: resources ? 'OrganizationEventBus' in resources : config.organization !== undefined,
        ...(resources?.AlertTopic ? { alertTopicArn: resources.AlertTopic } : {}),
        deadLetterQueues: ['EventsDeadLetterQueue', 'AssumptionDeadLetterQueue'].flatMap((name) => {
          const url = resources?.[name];
          return url ? [{ name, url }] : [];
        }),
        ...(unknownBecause ? { unknownBecause } : {}),
        maxSilenceHours: Number(silence),
        now: now(),
      };
      const results = [stack.result, ...(await runDoctor(probe, target))];
      process.stdout.write(format === 'jsonl' ? results.map((r) => `${JSON.stringify(r)}\n`).join('') : doctorReport(results));
      if (results.some((r) => r.status === 'fail')) return DOCTOR_EXIT.failed;
      return results.some((r) => r.status === 'cannot-tell') ? DOCTOR_EXIT.cannotTell : DOCTOR_EXIT.ok;
    },
  )(args);
}

/** The clients doctor itself calls (the probe makes its own), loaded only when the command runs. */
async function awsClients(region: string) {
  const [cloudFormation, dynamo, context, probe] = await Promise.all([
    import('@aws-sdk/client-cloudformation'),
    import('@aws-sdk/client-dynamodb'),
    import('../context'),
    import('../doctor/AwsMonitorProbe'),
  ]);
  const options = { ...AWS_CLIENT_OPTIONS, region };
  return {
    cloudFormation: new cloudFormation.CloudFormationClient(options),
    ListStackResourcesCommand: cloudFormation.ListStackResourcesCommand,
    stores: (tableName: string) => context.createDynamoStores({ client: new dynamo.DynamoDBClient(options), tableName }),
    createAwsMonitorProbe: probe.createAwsMonitorProbe,
  };
}

/** The stack's resources by logical id (physical ids: topic ARN, queue URLs, table name), and the `stack` check. */
async function readStack(
  clients: Awaited<ReturnType<typeof awsClients>>,
  stage: string,
  region: string,
): Promise<{ result: CheckResult; resources?: Record<string, string> }> {
  const check = 'stack';
  const name = `rolewatch-${stage}`;
  const resources: Record<string, string> = {};
  try {
    let token: string | undefined;
    for (let page = 0; page < 20; page++) {
      const answer = await calling('cloudformation:ListStackResources', () =>
        clients.cloudFormation.send(
          new clients.ListStackResourcesCommand({ StackName: name, ...(token ? { NextToken: token } : {}) }),
        ),
      );
      for (const resource of answer.StackResourceSummaries ?? [])
        if (resource.LogicalResourceId && resource.PhysicalResourceId)
          resources[resource.LogicalResourceId] = resource.PhysicalResourceId;
      token = answer.NextToken;
      if (!token) break;
    }
  } catch (error) {
    if (error instanceof Error && error.name === 'ValidationError' && /does not exist/.test(error.message))
      return {
        result: fail(
          check,
          `stack ${name} does not exist in ${region}`,
          `npx osls deploy --stage ${stage} --region ${region} (or name the stage and region RoleWatch runs in: --stage, --region)`,
        ),
      };
    return { result: cannotTell(check, error) };
  }
  return { result: pass(check, `stack ${name} in ${region}: ${Object.keys(resources).length} resources`), resources };
}

const LABEL: Record<CheckResult['status'], string> = { pass: 'PASS', fail: 'FAIL', 'cannot-tell': 'CANNOT-TELL' };

/** The checks as a person reads them: status and check, then what was found and, when it failed, the fix. */
export function doctorReport(results: readonly CheckResult[]): string {
  const width = Math.max(...Object.values(LABEL).map((label) => label.length)) + 2;
  const lines = results.flatMap((r) => [
    `${LABEL[r.status].padEnd(width)}${oneLine(r.check)}`,
    `${' '.repeat(width)}${oneLine(r.detail)}`,
    ...(r.fix ? [`${' '.repeat(width)}fix: ${oneLine(r.fix)}`] : []),
  ]);
  const count = (status: CheckResult['status']) => results.filter((r) => r.status === status).length;
  return `${lines.join('\n')}\n\n${count('pass')} pass, ${count('fail')} fail, ${count('cannot-tell')} cannot tell\n`;
}
