import {
  forwarderRegions,
  forwarderTemplate,
  IAM_EVENTS_REGION,
  memberRegions,
  memberTemplate,
  parseEventBusArn,
} from '../deploy/forwarder';
import { ValidationError } from '../errors';
import { defineCommand, HELP_OPTION } from './options';

const HELP = `usage: rolewatch forwarder-template --home-region REGION [--regions r1,r2] > forwarder.json
       rolewatch forwarder-template --target-bus-arn ARN --stage STAGE [--regions r1,r2]
                                    [--member-role-name NAME] [--security-hub] > member.json

Same account: prints the CloudFormation template (JSON) that forwards CloudTrail events to RoleWatch when
it runs in REGION rather than ${IAM_EVENTS_REGION}: IAM changes are delivered to EventBridge in ${IAM_EVENTS_REGION} only, and role
assumptions in the region where they happen. Deploy the same template, one stack per region, in
${IAM_EVENTS_REGION} and in every region named with --regions; the regions are listed on stderr.

Organization mode (--target-bus-arn): prints the member-account template: the same forwarding rules,
targeting RoleWatch's organization bus in the security account, and (in ${IAM_EVENTS_REGION}) the read-only role
RoleWatch assumes with the ExternalId (a stack parameter). Deploy it to every member account with a
service-managed StackSet, in ${IAM_EVENTS_REGION} and every region named with --regions; the commands are on stderr.

options:
  --home-region REGION     where RoleWatch is deployed (its default event bus receives the events)
  --regions LIST           other regions whose role assumptions and tampering calls to forward, comma-separated
  --target-bus-arn ARN     organization mode: RoleWatch's bus (stack output OrganizationEventBusArn)
  --stage STAGE            organization mode: RoleWatch's stage (its function roles are named after it)
  --member-role-name NAME  organization mode: the read role's name (organization.memberRoleName; RoleWatchReader)
  --security-hub           organization mode, RoleWatch deployed with securityHub=true: the read role may also
                           import this account's findings into Security Hub (and set their workflow)
`;

/** `rolewatch forwarder-template`: the template on stdout, where to deploy it on stderr. */
export const runForwarderTemplate = defineCommand(
  HELP,
  {
    options: {
      'home-region': { type: 'string' },
      regions: { type: 'string' },
      'target-bus-arn': { type: 'string' },
      stage: { type: 'string' },
      'member-role-name': { type: 'string' },
      'security-hub': { type: 'boolean' },
      ...HELP_OPTION,
    },
  },
  async ({ values }) => {
    const extra = (values.regions ?? '')
      .split(',')
      .map((region) => region.trim())
      .filter((region) => region !== '');
    const busArn = values['target-bus-arn'];
    if (busArn !== undefined)
      return printMemberTemplate(
        busArn,
        values.stage,
        values['member-role-name'],
        values['home-region'],
        extra,
        values['security-hub'] === true,
      );
    const home = values['home-region'];
    if (!home)
      throw new ValidationError(
        '--home-region',
        'is required (the region RoleWatch is deployed in), or --target-bus-arn for organization member accounts',
      );
    const regions = forwarderRegions(home, extra);
    process.stdout.write(`${JSON.stringify(forwarderTemplate(home), null, 2)}\n`);
    process.stderr.write(
      `Deploy this template in: ${regions.join(', ')} (one stack per region), e.g.\n` +
        regions
          .map(
            (region) =>
              `  aws cloudformation deploy --region ${region} --stack-name rolewatch-forwarder ` +
              '--template-file forwarder.json --capabilities CAPABILITY_NAMED_IAM',
          )
          .join('\n') +
        '\n',
    );
    return 0;
  },
);

function printMemberTemplate(
  busArn: string,
  stage: string | undefined,
  memberRoleName: string | undefined,
  homeRegion: string | undefined,
  extra: string[],
  securityHub: boolean,
): number {
  if (!stage)
    throw new ValidationError('--stage', "is required with --target-bus-arn (RoleWatch's stage in the security account)");
  const bus = parseEventBusArn(busArn);
  if (homeRegion !== undefined && homeRegion !== bus.region)
    throw new ValidationError('--home-region', `is ${homeRegion} but the target bus is in ${bus.region}; leave it out`);
  const template = memberTemplate({
    targetBusArn: busArn,
    stage,
    ...(memberRoleName ? { memberRoleName } : {}),
    ...(securityHub ? { securityHub } : {}),
  });
  const regions = memberRegions(extra);
  process.stdout.write(`${JSON.stringify(template, null, 2)}\n`);
  process.stderr.write(
    `Deploy this template to every member account in: ${regions.join(', ')}, e.g. with a service-managed StackSet\n` +
      '(from the management account, or a delegated administrator with --call-as DELEGATED_ADMIN):\n' +
      '  aws cloudformation create-stack-set --stack-set-name rolewatch-member --template-body file://member.json \\\n' +
      '    --permission-model SERVICE_MANAGED --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false \\\n' +
      '    --capabilities CAPABILITY_NAMED_IAM --parameters ParameterKey=ExternalId,ParameterValue=<organization.externalId>\n' +
      '  aws cloudformation create-stack-instances --stack-set-name rolewatch-member \\\n' +
      `    --deployment-targets '{"OrganizationalUnitIds":["<root-or-ou-id>"],"AccountFilterType":"DIFFERENCE","Accounts":["${bus.account}"]}' \\\n` +
      `    --regions ${regions.join(' ')} \\\n` +
      '    --operation-preferences RegionConcurrencyType=PARALLEL,FailureTolerancePercentage=10,MaxConcurrentPercentage=25\n' +
      `(${bus.account} is left out: RoleWatch reads its own account directly.) StackSets never deploy to the management\n` +
      'account: create the same stack there yourself (aws cloudformation deploy), in each of those regions.\n',
  );
  return 0;
}
