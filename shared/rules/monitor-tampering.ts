import { getString } from '../cloudtrail/accessors';
import type { TrailEvent } from '../cloudtrail/types';
import { wildcardMatch } from '../policy/match';
import { knownSelectors, managementScope, selectorNarrowing, selectorsOf, updateTrailNarrowing } from './trailScope';
import type { Rule } from './types';

const TRAIL_EVENTS = ['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors'];
const EVENTBRIDGE_EVENTS = ['DisableRule', 'DeleteRule', 'RemoveTargets', 'PutRule'];
const ANALYZER_EVENTS = ['DeleteAnalyzer', 'CreateArchiveRule'];

/** Every call of the monitor's own services that the rule judges. */
export const MONITOR_EVENTS: readonly string[] = [...TRAIL_EVENTS, ...EVENTBRIDGE_EVENTS, ...ANALYZER_EVENTS];

export const monitorTampering: Rule = {
  id: 'monitor-tampering',
  title: 'Monitoring tampered with',
  severity: 'high',
  kind: 'event',
  controls: [
    'CIS-5.0-4.5',
    'CIS-3.0-4.5',
    'CIS-5.0-3.1',
    'CIS-3.0-3.1',
    'CIS-5.0-1.19',
    'CIS-3.0-1.20',
    'SecurityHub-CloudTrail.1',
    'SecurityHub-IAM.28',
    'NIST-800-53-r5-AU-6',
    'NIST-800-53-r5-AU-9',
    'NIST-800-53-r5-SI-4',
    'PCI-DSS-4.0-10.2.1.6',
    'PCI-DSS-4.0-10.7.2',
    'ATTACK-T1562.001',
    'ATTACK-T1562.008',
  ],
  events: MONITOR_EVENTS,
  facts: (event) => (event.eventName === 'PutEventSelectors' ? ['trail-selectors'] : []),
  references: [
    'https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_PutEventSelectors.html',
    'https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_UpdateTrail.html',
  ],
  firesWhen:
    'StopLogging/DeleteTrail; UpdateTrail/PutEventSelectors that narrow what is logged (management events, reads or writes, sources, Regions, global events, bucket; widening is no alert); DisableRule/DeleteRule/RemoveTargets (or PutRule disabling) on a RoleWatch rule, DeleteAnalyzer/CreateArchiveRule',
  rationale:
    "Stopping or narrowing CloudTrail, disabling RoleWatch's EventBridge rules or silencing Access Analyzer blinds the monitor; attackers do it before they act.",
  remediation:
    'Restore the trail, rule or analyzer at once, find who made the call, and review IAM changes made while monitoring was impaired.',
  evaluate: (ctx) => {
    const event = ctx.event;
    if (!event) return [];
    const { request, eventName, eventSource } = event;
    if (eventSource === 'cloudtrail.amazonaws.com' && TRAIL_EVENTS.includes(eventName)) {
      const trail = getString(request, 'name') ?? getString(request, 'trailName') ?? 'unknown trail';
      // Changing what a trail logs is judged by what it does: narrowing it is tampering, widening it is not.
      const narrowed =
        eventName === 'UpdateTrail'
          ? updateTrailNarrowing(event)
          : eventName === 'PutEventSelectors'
            ? putSelectorsNarrowing(event, trail, ctx.facts?.['trail-selectors'] ?? [])
            : undefined;
      if (narrowed !== undefined && narrowed.length === 0) return [];
      return [
        {
          resource: trailArn(trail, event.region, event.account),
          qualifier: eventName,
          detail: `${eventName} on CloudTrail trail ${trail}${narrowed ? `: ${narrowed.join('; ')}` : ''}`,
        },
      ];
    }
    if (eventSource === 'events.amazonaws.com' && EVENTBRIDGE_EVENTS.includes(eventName)) {
      const rule = getString(request, 'name') ?? getString(request, 'rule');
      if (!rule || !ctx.config.monitorRuleNames.some((pattern) => wildcardMatch(pattern, rule))) return [];
      // PutRule only tampers when it turns the rule off.
      if (eventName === 'PutRule' && getString(request, 'state') !== 'DISABLED') return [];
      const bus = getString(request, 'eventBusName') ?? 'default';
      return [
        {
          resource: `arn:aws:events:${event.region}:${event.account}:rule/${bus === 'default' ? '' : `${bus}/`}${rule}`,
          qualifier: eventName,
          detail: `${eventName} on RoleWatch EventBridge rule ${rule}`,
        },
      ];
    }
    if (eventSource === 'access-analyzer.amazonaws.com' && ANALYZER_EVENTS.includes(eventName)) {
      const analyzer = getString(request, 'analyzerName') ?? 'unknown analyzer';
      return [
        {
          resource: `arn:aws:access-analyzer:${event.region}:${event.account}:analyzer/${analyzer}`,
          qualifier: eventName,
          detail: `${eventName} on IAM Access Analyzer ${analyzer}${getString(request, 'ruleName') ? ` (archive rule ${getString(request, 'ruleName')})` : ''}`,
        },
      ];
    }
    return [];
  },
};

/** How a PutEventSelectors call narrows what the trail logged before (everything, when that is unknown). */
function putSelectorsNarrowing(
  event: TrailEvent,
  trail: string,
  known: readonly { id: string; value: Record<string, unknown> }[],
): string[] {
  const after = managementScope(selectorsOf(event));
  if (!after) return [];
  return selectorNarrowing(after, managementScope(knownSelectors(known, trail)));
}

function trailArn(trail: string, region: string, account: string): string {
  return trail.startsWith('arn:') ? trail : `arn:aws:cloudtrail:${region}:${account}:trail/${trail}`;
}
