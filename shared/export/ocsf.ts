import type { Finding, FindingTransition } from '../findings/finding';
import type { Severity } from '../findings/severity';
import { parseControl } from '../rules/controls';
import { controlsOf } from '../rules/index';

/**
 * A finding as an OCSF Detection Finding (class_uid 2004, category Findings), so a SIEM or a security data
 * lake ingests it unchanged. One record per finding state: created when it opens, updated on a repeat,
 * escalation, re-opening or suppression, closed when it resolves.
 */

/** The OCSF version the records follow (metadata.version). */
export const OCSF_VERSION = '1.3.0';

const CLASS_UID = 2004;
const CATEGORY_UID = 2;

const ACTIVITY = { create: [1, 'Create'], update: [2, 'Update'], close: [3, 'Close'] } as const;

/** severity_id of the OCSF dictionary: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical. */
const SEVERITY: Record<Severity, [number, string]> = {
  info: [1, 'Informational'],
  low: [2, 'Low'],
  medium: [3, 'Medium'],
  high: [4, 'High'],
  critical: [5, 'Critical'],
};

/** status_id of the Finding class: 1 New, 3 Suppressed, 4 Resolved. */
const STATUS: Record<Finding['status'], [number, string]> = {
  open: [1, 'New'],
  suppressed: [3, 'Suppressed'],
  resolved: [4, 'Resolved'],
};

/** The activity a finding's state stands for: closed when resolved, created when it just opened, else updated. */
function activityOf(finding: Finding, transition?: FindingTransition): keyof typeof ACTIVITY {
  if (finding.status === 'resolved') return 'close';
  if (transition === 'opened' || (transition === undefined && finding.count <= 1)) return 'create';
  return 'update';
}

/** The ATT&CK techniques of the finding's rule, as OCSF attack objects (sub-techniques under their technique). */
function attacksOf(controls: readonly string[]): Record<string, unknown>[] {
  return controls.flatMap((control) => {
    const parsed = parseControl(control);
    if (parsed?.framework.id !== 'ATTACK') return [];
    const [technique, sub] = parsed.item.id.split('.');
    const [techniqueName, subName] = parsed.item.title.split(': ');
    const url = `https://attack.mitre.org/techniques/${technique}/${sub ? `${sub}/` : ''}`;
    return [
      sub
        ? {
            technique: { uid: technique, name: techniqueName },
            sub_technique: { uid: parsed.item.id, name: subName ?? parsed.item.title, src_url: url },
          }
        : { technique: { uid: technique, name: parsed.item.title, src_url: url } },
    ];
  });
}

/** The AWS resource type of an ARN, as CloudFormation names it, for the ones findings are about. */
function resourceType(arn: string): string {
  const [, partition, service, , , resource = ''] = arn.split(':');
  if (partition === undefined || service === undefined) return 'Other';
  const kind = resource.split('/')[0] ?? '';
  const known: Record<string, string> = {
    'iam:role': 'AWS::IAM::Role',
    'iam:user': 'AWS::IAM::User',
    'iam:policy': 'AWS::IAM::Policy',
    'iam:oidc-provider': 'AWS::IAM::OIDCProvider',
    'iam:saml-provider': 'AWS::IAM::SAMLProvider',
    'sts:assumed-role': 'AWS::STS::AssumedRole',
    'cloudtrail:trail': 'AWS::CloudTrail::Trail',
    'events:rule': 'AWS::Events::Rule',
    'access-analyzer:analyzer': 'AWS::AccessAnalyzer::Analyzer',
  };
  return known[`${service}:${kind}`] ?? 'Other';
}

/**
 * The OCSF Detection Finding record of a finding. `transition` is what recording did (when known: a replay
 * knows it, a stored finding does not). Pure.
 */
export function ocsfDetectionFinding(
  finding: Finding,
  options: { transition?: FindingTransition; productVersion: string },
): Record<string, unknown> {
  const [activityId, activityName] = ACTIVITY[activityOf(finding, options.transition)];
  const [severityId, severityName] = SEVERITY[finding.severity];
  const [statusId, statusName] = STATUS[finding.status];
  const controls = controlsOf(finding.ruleId);
  const attacks = attacksOf(controls);
  const partition = finding.resource.split(':')[1];
  const region = finding.region ?? finding.event?.region;
  return {
    activity_id: activityId,
    activity_name: activityName,
    category_uid: CATEGORY_UID,
    category_name: 'Findings',
    class_uid: CLASS_UID,
    class_name: 'Detection Finding',
    type_uid: CLASS_UID * 100 + activityId,
    type_name: `Detection Finding: ${activityName}`,
    severity_id: severityId,
    severity: severityName,
    status_id: statusId,
    status: statusName,
    ...(finding.resolution ? { status_detail: finding.resolution } : {}),
    time: finding.firstSeen,
    start_time: finding.firstSeen,
    end_time: finding.lastSeen,
    count: finding.count,
    message: finding.detail,
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'RoleWatch', uid: 'rolewatch', version: options.productVersion },
      uid: `${finding.id}:${activityName.toLowerCase()}:${finding.lastSeen}`,
      profiles: ['cloud'],
      log_name: 'findings',
      log_provider: 'RoleWatch',
    },
    cloud: {
      provider: 'AWS',
      ...(region ? { region } : {}),
      ...(/^\d{12}$/.test(finding.account) ? { account: { uid: finding.account, type_id: 10, type: 'AWS Account' } } : {}),
    },
    finding_info: {
      uid: finding.id,
      title: finding.title,
      desc: finding.rationale,
      types: [finding.ruleId],
      created_time: finding.firstSeen,
      first_seen_time: finding.firstSeen,
      last_seen_time: finding.lastSeen,
      ...(attacks.length > 0 ? { attacks } : {}),
    },
    resources: [
      {
        uid: finding.resource,
        name: finding.resourceName,
        type: resourceType(finding.resource),
        ...(partition ? { cloud_partition: partition } : {}),
        ...(region ? { region } : {}),
      },
    ],
    remediation: { desc: finding.remediation },
    unmapped: {
      rule_id: finding.ruleId,
      kind: finding.kind,
      controls,
      ...(finding.qualifier ? { qualifier: finding.qualifier } : {}),
      ...(finding.evidence ? { evidence: finding.evidence } : {}),
      ...(finding.diff ? { diff: finding.diff } : {}),
      ...(finding.event ? { event: finding.event } : {}),
      ...(finding.suppression ? { suppression: finding.suppression } : {}),
    },
  };
}
