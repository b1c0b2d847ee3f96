import type { FindingDraft } from '../../shared/findings/finding';
import { ACCOUNT } from './trail';

/** The role the store tests' findings are about. */
export const FINDING_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/app`;

/** A finding draft of admin-policy-attached on the `app` role, as the engine would record it. */
export function findingDraft(overrides: Partial<FindingDraft> = {}): FindingDraft {
  return {
    id: 'f1',
    ruleId: 'admin-policy-attached',
    kind: 'posture',
    severity: 'high',
    title: 'Role given an administrator policy',
    account: ACCOUNT,
    resource: FINDING_ROLE_ARN,
    resourceName: 'app',
    roleName: 'app',
    detail: 'detail',
    rationale: 'why',
    remediation: 'fix',
    at: 1_000,
    event: { eventId: 'e1', eventName: 'AttachRolePolicy', eventTime: '2026-11-02T09:00:00Z', region: 'us-east-1' },
    ...overrides,
  };
}

/** The same finding produced again by another event (`eventId`) at `at`: one more occurrence. */
export function findingOccurrence(eventId: string, at: number, overrides: Partial<FindingDraft> = {}): FindingDraft {
  return findingDraft({
    at,
    event: { eventId, eventName: 'AttachRolePolicy', eventTime: '2026-11-02T09:00:00Z', region: 'us-east-1' },
    ...overrides,
  });
}
