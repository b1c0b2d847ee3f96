import { parseArgs } from 'node:util';
import { forwarderRegions, forwarderTemplate, IAM_EVENTS_REGION } from '../deploy/forwarder';
import { ValidationError } from '../errors';

const HELP = `usage: rolewatch forwarder-template --home-region REGION [--regions r1,r2] > forwarder.json

Prints the CloudFormation template (JSON) that forwards CloudTrail events to RoleWatch when it runs in
REGION rather than ${IAM_EVENTS_REGION}: IAM changes are delivered to EventBridge in ${IAM_EVENTS_REGION} only, and role
assumptions in the region where they happen. Deploy the same template, one stack per region, in
${IAM_EVENTS_REGION} and in every region named with --regions; the regions are listed on stderr.

options:
  --home-region REGION  where RoleWatch is deployed (its default event bus receives the events)
  --regions LIST        other regions whose role assumptions and tampering calls to forward, comma-separated
`;

/** `rolewatch forwarder-template`: the template on stdout, where to deploy it on stderr. */
export async function runForwarderTemplate(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'home-region': { type: 'string' },
      regions: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const home = values['home-region'];
  if (!home) throw new ValidationError('--home-region', 'is required (the region RoleWatch is deployed in)');
  const extra = (values.regions ?? '')
    .split(',')
    .map((region) => region.trim())
    .filter((region) => region !== '');
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
}
