import { IAM_EVENTS_REGION } from '../deploy/forwarder';
import { EVENT_KINDS, type EventKind } from '../roles/roleEvents';
import type { MonitorProbe } from './probe';
import { type CheckResult, cannotTell, fail, guarded, pass } from './result';
import { checkRules, forwarderRules, stackRules } from './rules';
import { checkTrail } from './trail';

export type { CheckResult, CheckStatus } from './result';

/** One of RoleWatch's dead-letter queues: its logical id in the stack and its URL. */
export interface DeadLetterQueue {
  name: string;
  url: string;
}

/** What RoleWatch's deployment is, as far as the checks need it. */
export interface DoctorTarget {
  stage: string;
  /** Where RoleWatch's stack runs. */
  region: string;
  /** Other regions whose role assumptions are wanted (configuration `regions`, or --regions). */
  regions: readonly string[];
  organization: boolean;
  /** The stack's alert topic and dead-letter queues; unknown when the stack could not be read (`unknownBecause`). */
  alertTopicArn?: string;
  deadLetterQueues: readonly DeadLetterQueue[];
  unknownBecause?: string;
  /** Hours without a role assumption after which RoleWatch counts as blind. */
  maxSilenceHours: number;
  now: number;
}

/** The regions whose trail must log management events: us-east-1 (IAM), RoleWatch's own, and the wanted ones. */
export function trailRegions(target: Pick<DoctorTarget, 'region' | 'regions'>): string[] {
  return [...new Set([IAM_EVENTS_REGION, target.region, ...target.regions])];
}

/**
 * Every check, read-only, in a stable order: trails, EventBridge rules, forwarders, the alert subscription,
 * the dead-letter queues, and when RoleWatch last saw each kind of event. A check that cannot read what it
 * needs says so (cannot-tell) and never passes; it does not stop the others.
 */
export async function runDoctor(probe: MonitorProbe, target: DoctorTarget): Promise<CheckResult[]> {
  const forwarders = forwarderRules(target.region, target.regions);
  const forwarderRegions = [...new Set(forwarders.map((rule) => rule.region))];
  const groups = await Promise.all([
    ...trailRegions(target).map((region) => guarded(`trail:${region}`, () => checkTrail(probe, region))),
    ...stackRules(target.stage, target.region, target.organization).map((rule) =>
      guarded(`rule:${rule.name}`, () => checkRules(probe, `rule:${rule.name}`, [rule])),
    ),
    ...forwarderRegions.map((region) =>
      guarded(`forwarder:${region}`, () =>
        checkRules(
          probe,
          `forwarder:${region}`,
          forwarders.filter((rule) => rule.region === region),
        ),
      ),
    ),
    guarded('alert-subscription', () => checkSubscription(probe, target)),
    ...deadLetterChecks(probe, target),
    guarded('last-event', () => checkLastEvents(probe, target)),
  ]);
  return groups.flat();
}

/** Is someone told? At least one confirmed subscription, none waiting for confirmation. */
async function checkSubscription(probe: MonitorProbe, target: DoctorTarget): Promise<CheckResult> {
  const check = 'alert-subscription';
  if (!target.alertTopicArn) return cannotTell(check, target.unknownBecause ?? 'the alert topic is unknown');
  const subscriptions = await probe.subscriptions(target.alertTopicArn);
  const pending = subscriptions.filter((s) => s.arn === 'PendingConfirmation');
  const confirmed = subscriptions.filter((s) => s.arn.startsWith('arn:'));
  const subscribe = `aws sns subscribe --topic-arn ${target.alertTopicArn} --protocol email --notification-endpoint <address> --region ${target.region}`;
  if (pending.length > 0)
    return fail(
      check,
      `${pending.map((s) => `${s.protocol} ${s.endpoint}`).join(', ')} never confirmed the subscription: alerts do not reach ${pending.length === 1 ? 'it' : 'them'}`,
      `open the confirmation message sent to ${pending.map((s) => s.endpoint).join(', ')} and follow its link; once it has expired (after 3 days), subscribe again: ${subscribe}`,
    );
  if (confirmed.length === 0)
    return fail(
      check,
      'nobody is subscribed to the alert topic: findings are recorded but no one is told',
      `redeploy with --param alertEmail=<address> and confirm the e-mail, or: ${subscribe}`,
    );
  return pass(check, `${confirmed.map((s) => `${s.protocol} ${s.endpoint}`).join(', ')} confirmed`);
}

function deadLetterChecks(probe: MonitorProbe, target: DoctorTarget): Promise<CheckResult[]>[] {
  if (target.deadLetterQueues.length === 0)
    return [Promise.resolve([cannotTell('dead-letter-queues', target.unknownBecause ?? 'the dead-letter queues are unknown')])];
  return target.deadLetterQueues.map((queue) =>
    guarded(`dead-letter-queue:${queue.name}`, () => checkDeadLetterQueue(probe, queue, target)),
  );
}

/** Events that could not be processed wait in the dead-letter queues: each is an event RoleWatch did not judge. */
async function checkDeadLetterQueue(probe: MonitorProbe, queue: DeadLetterQueue, target: DoctorTarget): Promise<CheckResult> {
  const check = `dead-letter-queue:${queue.name}`;
  const messages = await probe.queueMessages(queue.url);
  if (messages === 0) return pass(check, 'empty');
  const at = `--region ${target.region}`;
  const read = `read them: aws sqs receive-message --queue-url ${queue.url} --max-number-of-messages 10 ${at}; find the cause in the functions' logs`;
  const fix =
    queue.name === 'AssumptionDeadLetterQueue'
      ? `${read}; then move them back to the assumption queue: aws sqs start-message-move-task --source-arn ${queueArn(queue.url)} ${at}`
      : `${read}; then run reconcile, which re-reads IAM and makes up for the lost events: aws lambda invoke --function-name rolewatch-${target.stage}-reconcile ${at} /dev/null; then purge: aws sqs purge-queue --queue-url ${queue.url} ${at}`;
  return fail(check, `${messages} message${messages === 1 ? '' : 's'} waiting: events RoleWatch could not process`, fix);
}

/** `https://sqs.REGION.amazonaws.com/ACCOUNT/NAME` → `arn:aws:sqs:REGION:ACCOUNT:NAME`. */
export function queueArn(url: string): string {
  const match = /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/(\d{12})\/([\w-]{1,80})$/.exec(url);
  if (!match) return url;
  const [, region, account, name] = match;
  const partition = region?.startsWith('cn-') ? 'aws-cn' : region?.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${partition}:sqs:${region}:${account}:${name}`;
}

const KIND_NAMES: Record<EventKind, string> = {
  'iam-change': 'IAM change',
  assumption: 'role assumption',
  'monitor-call': 'call of another watched service (CloudTrail, EventBridge, Organizations...)',
};

/**
 * When RoleWatch last processed each kind of event. Role assumptions happen all day in a live account (AWS
 * services assume roles too): none for `maxSilenceHours` means RoleWatch is blind. IAM changes and monitor
 * calls may be rare; their times are reported, not judged.
 */
async function checkLastEvents(probe: MonitorProbe, target: DoctorTarget): Promise<CheckResult[]> {
  const last = await probe.lastEvents();
  return EVENT_KINDS.map((kind) => {
    const check = `last-event:${kind}`;
    const at = last[kind];
    const seen =
      at === undefined ? undefined : `last ${KIND_NAMES[kind]} seen ${new Date(at).toISOString()} (${ago(target.now - at)} ago)`;
    if (kind !== 'assumption') return pass(check, seen ?? `no ${KIND_NAMES[kind]} seen yet`);
    const silentHours = at === undefined ? Number.POSITIVE_INFINITY : (target.now - at) / 3_600_000;
    if (silentHours < target.maxSilenceHours) return pass(check, seen ?? '');
    return fail(
      check,
      `${seen ?? 'no role assumption seen yet'}: more than ${target.maxSilenceHours} hours without one, so RoleWatch is likely blind`,
      'fix the failing trail, rule and forwarder checks above; if all pass, assume a role to test the path (aws sts assume-role ' +
        '--role-arn <a role you may assume> --role-session-name rolewatch-doctor) and run rolewatch doctor again in a few minutes',
    );
  });
}

function ago(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 72 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}
