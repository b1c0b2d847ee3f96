import { actorPrincipal, getString } from '../cloudtrail/accessors';
import { eventFrom } from './accessPaths';
import type { Rule, Severity } from './types';

const SOURCE = 'iam.amazonaws.com';

/** The centralized root access switches of IAM, and what turning each one means. */
const SWITCHES: Readonly<Record<string, { severity: Severity; means: string }>> = {
  EnableOrganizationsRootSessions: {
    severity: 'high',
    means: 'the management account (and an IAM delegated administrator) may now open root sessions in every member account',
  },
  DisableOrganizationsRootSessions: {
    severity: 'medium',
    means: 'privileged root tasks in member accounts now need their own root credentials again',
  },
  EnableOrganizationsRootCredentialsManagement: {
    severity: 'low',
    means: "member accounts' root credentials are now managed centrally",
  },
  DisableOrganizationsRootCredentialsManagement: {
    severity: 'medium',
    means: 'member accounts may have root credentials of their own again (password recovery becomes possible)',
  },
};

export const rootAccessSettingsChanged: Rule = {
  id: 'root-access-settings-changed',
  title: 'Centralized root access settings changed',
  severity: 'high',
  kind: 'event',
  controls: ['NIST-800-53-r5-AC-2', 'NIST-800-53-r5-CM-3', 'NIST-800-53-r5-AC-6(9)', 'ATTACK-T1484.002'],
  source: SOURCE,
  events: Object.keys(SWITCHES),
  references: [
    'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-enable-root-access.html',
    'https://docs.aws.amazon.com/IAM/latest/APIReference/API_EnableOrganizationsRootSessions.html',
    'https://docs.aws.amazon.com/IAM/latest/APIReference/API_DisableOrganizationsRootCredentialsManagement.html',
  ],
  firesWhen:
    '`EnableOrganizationsRootSessions`, `DisableOrganizationsRootSessions`, `Enable/DisableOrganizationsRootCredentialsManagement`',
  severityNote: 'Enable root sessions; medium for the Disable switches, low for Enable root credentials management',
  rationale:
    "These organization-wide switches decide who holds root power over member accounts: enabling root sessions opens sts:AssumeRoot into every member; disabling central credentials management lets members' root users come back.",
  remediation:
    'Confirm the change with the organization administrators; keep root sessions enabled only with sts:AssumeRoot restricted by SCP to a break-glass role.',
  evaluate: (ctx) => {
    const event = eventFrom(ctx, SOURCE);
    const change = event ? SWITCHES[event.eventName] : undefined;
    if (!event || !change) return [];
    const organization = getString(event.response, 'organizationId');
    return [
      {
        resource: `arn:aws:iam::${event.account}:root`,
        qualifier: event.eventName,
        severity: change.severity,
        detail: `${event.eventName} by ${actorPrincipal(event.actor)}${organization ? ` in ${organization}` : ''}: ${change.means}`,
        evidence: { actor: actorPrincipal(event.actor), ...(organization ? { organizationId: organization } : {}) },
      },
    ];
  },
};
