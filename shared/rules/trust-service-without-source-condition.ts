import { changedTrust, TRUST_EVENTS } from './support';
import type { Rule } from './types';

export const trustServiceWithoutSourceCondition: Rule = {
  id: 'trust-service-without-source-condition',
  title: 'Service trust without a source condition',
  severity: 'low',
  kind: 'posture',
  controls: ['NIST-800-53-r5-AC-3', 'PCI-DSS-4.0-7.2.1'],
  events: TRUST_EVENTS,
  rationale:
    "Services that act for resources of any account (S3, SNS, EventBridge, Config, CloudTrail...) can be made to use this role by another account's resource unless aws:SourceAccount or aws:SourceArn pins it (cross-service confused deputy).",
  remediation: 'Add a condition on aws:SourceAccount (this account) or aws:SourceArn (the resource that uses the role).',
  evaluate: (ctx) =>
    (changedTrust(ctx)?.services ?? [])
      .filter((entry) => entry.crossAccountCapable && !entry.hasSourceCondition)
      .map((entry) => ({
        qualifier: entry.principal,
        detail: `role ${ctx.role?.name} trusts ${entry.principal} without aws:SourceAccount or aws:SourceArn`,
        evidence: { service: entry.principal },
      })),
};
