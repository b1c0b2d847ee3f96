import { eventPatterns, type TrailEventPattern } from '../deploy/eventPatterns';
import { IAM_EVENTS_REGION } from '../deploy/forwarder';
import type { MonitorProbe, RuleReading } from './probe';
import { type CheckResult, fail, pass } from './result';

/** EventBridge delivers read-only CloudTrail events (AssumeRole) only to rules in this state. */
export const READ_ONLY_STATE = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';

/** A rule RoleWatch's deployment (or a forwarder) must have. */
export interface ExpectedRule {
  region: string;
  name: string;
  /** The bus, when not the default one. */
  bus?: string;
  pattern: TrailEventPattern;
  state: 'ENABLED' | typeof READ_ONLY_STATE;
  /** How to put the rule back when it is missing or changed. */
  redeploy: string;
}

type PatternName = keyof ReturnType<typeof eventPatterns>;
const SUFFIXES: Record<PatternName, string> = {
  iamChanges: 'iam-changes',
  monitorTampering: 'monitor-tampering',
  roleAssumptions: 'role-assumptions',
};

function expected(region: string, name: string, pattern: PatternName, redeploy: string, bus?: string): ExpectedRule {
  return {
    region,
    name,
    ...(bus ? { bus } : {}),
    pattern: eventPatterns()[pattern],
    state: pattern === 'roleAssumptions' ? READ_ONLY_STATE : 'ENABLED',
    redeploy,
  };
}

/** The rules of RoleWatch's stack (serverless.yml): the default bus, and the organization bus in organization mode. */
export function stackRules(stage: string, region: string, organization: boolean): ExpectedRule[] {
  const redeploy = `npx osls deploy --stage ${stage} --region ${region}`;
  const names = Object.keys(SUFFIXES) as PatternName[];
  return [
    ...names.map((p) => expected(region, `rolewatch-${stage}-${SUFFIXES[p]}`, p, redeploy)),
    ...(organization
      ? names.map((p) =>
          expected(region, `rolewatch-${stage}-org-${SUFFIXES[p]}`, p, redeploy, `rolewatch-${stage}-organization`),
        )
      : []),
  ];
}

/**
 * The forwarders' rules (`rolewatch forwarder-template --home-region`): in us-east-1 unless RoleWatch runs
 * there (IAM changes arrive there only), and in every other region whose role assumptions are wanted.
 */
export function forwarderRules(homeRegion: string, regions: readonly string[]): ExpectedRule[] {
  const forwarded = [...new Set([...(homeRegion === IAM_EVENTS_REGION ? [] : [IAM_EVENTS_REGION]), ...regions])].filter(
    (region) => region !== homeRegion,
  );
  return forwarded.flatMap((region) => {
    const redeploy =
      `npx rolewatch forwarder-template --home-region ${homeRegion} > forwarder.json && aws cloudformation deploy --region ${region} ` +
      '--stack-name rolewatch-forwarder --template-file forwarder.json --capabilities CAPABILITY_NAMED_IAM';
    const names: PatternName[] =
      region === IAM_EVENTS_REGION
        ? ['iamChanges', 'monitorTampering', 'roleAssumptions']
        : ['monitorTampering', 'roleAssumptions'];
    return names.map((p) => expected(region, `rolewatch-to-${homeRegion}-${SUFFIXES[p]}`, p, redeploy));
  });
}

/** What is wrong with a rule as deployed, with its fix; undefined when it is as RoleWatch needs it. */
export function ruleProblem(rule: ExpectedRule, reading: RuleReading | undefined): { problem: string; fix: string } | undefined {
  const where = `--region ${rule.region}${rule.bus ? ` --event-bus-name ${rule.bus}` : ''}`;
  const label = `rule ${rule.name} (${rule.region}${rule.bus ? `, bus ${rule.bus}` : ''})`;
  if (!reading) return { problem: `${label} does not exist`, fix: rule.redeploy };
  const putReadOnly = `aws events put-rule --name ${rule.name} ${where} --state ${READ_ONLY_STATE} --event-pattern '${JSON.stringify(rule.pattern)}'`;
  if (rule.state === READ_ONLY_STATE && reading.state !== READ_ONLY_STATE)
    return {
      problem:
        `${label} is ${reading.state}: AssumeRole is a read-only event, which EventBridge delivers only to rules in ` +
        `${READ_ONLY_STATE}, so RoleWatch sees no role assumption`,
      fix: `${rule.redeploy}, or: ${putReadOnly}`,
    };
  if (reading.state === 'DISABLED')
    return { problem: `${label} is DISABLED`, fix: `aws events enable-rule --name ${rule.name} ${where}` };
  if (reading.targets === 0) return { problem: `${label} has no target: its events go nowhere`, fix: rule.redeploy };
  if (!samePattern(reading.eventPattern, rule.pattern))
    return {
      problem: `${label} has a pattern other than this version of RoleWatch's: events it acts on may be missed`,
      fix: rule.redeploy,
    };
  return undefined;
}

/** Checks rules and reports them as one check: pass when all are as needed, else the first problem's fix. */
export async function checkRules(probe: MonitorProbe, check: string, rules: readonly ExpectedRule[]): Promise<CheckResult> {
  const readings = await Promise.all(rules.map((rule) => probe.rule(rule.region, rule.name, rule.bus)));
  const problems = rules.flatMap((rule, i) => {
    const problem = ruleProblem(rule, readings[i]);
    return problem ? [problem] : [];
  });
  const [first] = problems;
  if (!first)
    return pass(
      check,
      rules.length === 1
        ? `${rules[0]?.name} exists, ${rules[0]?.state}, with a target and this version's pattern`
        : `${rules.map((rule) => rule.name).join(', ')} exist, enabled as needed, with targets and this version's patterns`,
    );
  return fail(check, problems.map((p) => p.problem).join('; '), first.fix);
}

/** Same pattern, whatever the order of the values in its lists. */
function samePattern(deployed: string | undefined, wanted: TrailEventPattern): boolean {
  if (deployed === undefined) return false;
  try {
    return JSON.stringify(canonical(JSON.parse(deployed))) === JSON.stringify(canonical(wanted));
  } catch {
    return false;
  }
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, item]) => [key, canonical(item)]),
    );
  return value;
}
