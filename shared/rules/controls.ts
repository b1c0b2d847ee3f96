/**
 * The compliance and threat frameworks RoleWatch's rules are mapped to, and the ids each framework has.
 *
 * A rule names the items it evidences in its `controls` field as `<framework id>-<item id>`, e.g.
 * `CIS-5.0-1.15`, `SecurityHub-IAM.1`, `NIST-800-53-r5-AC-6(10)`, `PCI-DSS-4.0-10.2.1.5`, `ATTACK-T1098.003`.
 * A test checks every id of every rule against the items listed here. Each framework lists only the part
 * of it a monitor of IAM roles can speak to (said in `scope`), each item with the title its source gives;
 * `rolewatch report --framework` names the items of that part no rule covers.
 *
 * Only ids found in the cited source are listed: add an item only with its source.
 */

export interface ControlItem {
  id: string;
  title: string;
}

export interface Framework {
  /** Prefix of control ids, and (lower-cased) the name `rolewatch report --framework` takes. */
  id: string;
  name: string;
  /** Where the ids and titles come from. */
  source: string;
  /** Which part of the framework is listed here. */
  scope: string;
  /** How AWS Security Hub writes a requirement of this framework in Compliance.RelatedRequirements, if it does. */
  securityHubRequirement?: (item: string) => string;
  items: readonly ControlItem[];
}

const CIS_V5: readonly ControlItem[] = [
  { id: '1.1', title: 'Maintain current contact details' },
  { id: '1.2', title: 'Ensure security contact information is registered' },
  { id: '1.3', title: "Ensure no 'root' user account access key exists" },
  { id: '1.4', title: "Ensure MFA is enabled for the 'root' user account" },
  { id: '1.5', title: "Ensure hardware MFA is enabled for the 'root' user account" },
  { id: '1.6', title: "Eliminate use of the 'root' user for administrative and daily tasks" },
  { id: '1.7', title: 'Ensure IAM password policy requires minimum length of 14 or greater' },
  { id: '1.8', title: 'Ensure IAM password policy prevents password reuse' },
  { id: '1.9', title: 'Ensure multi-factor authentication (MFA) is enabled for all IAM users that have a console password' },
  { id: '1.10', title: 'Do not create access keys during initial setup for IAM users with a console password' },
  { id: '1.11', title: 'Ensure credentials unused for 45 days or more are disabled' },
  { id: '1.12', title: 'Ensure there is only one active access key for any single IAM user' },
  { id: '1.13', title: 'Ensure access keys are rotated every 90 days or less' },
  { id: '1.14', title: 'Ensure IAM users receive permissions only through groups' },
  { id: '1.15', title: 'Ensure IAM policies that allow full "*:*" administrative privileges are not attached' },
  { id: '1.16', title: 'Ensure a support role has been created to manage incidents with AWS Support' },
  { id: '1.17', title: 'Ensure IAM instance roles are used for AWS resource access from instances' },
  { id: '1.18', title: 'Ensure that all expired SSL/TLS certificates stored in AWS IAM are removed' },
  { id: '1.19', title: 'Ensure that IAM External Access Analyzer is enabled for all regions' },
  {
    id: '1.20',
    title: 'Ensure IAM users are managed centrally via identity federation or AWS Organizations for multi-account environments',
  },
  { id: '1.21', title: 'Ensure access to AWSCloudShellFullAccess is restricted' },
  { id: '3.1', title: 'Ensure CloudTrail is enabled in all regions' },
  { id: '3.2', title: 'Ensure CloudTrail log file validation is enabled' },
  { id: '3.3', title: 'Ensure AWS Config is enabled in all regions' },
  { id: '3.4', title: 'Ensure that server access logging is enabled on the CloudTrail S3 bucket' },
  { id: '3.5', title: 'Ensure CloudTrail logs are encrypted at rest using KMS CMKs' },
  { id: '3.6', title: 'Ensure rotation for customer-created symmetric CMKs is enabled' },
  { id: '3.7', title: 'Ensure VPC flow logging is enabled in all VPCs' },
  { id: '3.8', title: 'Ensure that object-level logging for write events is enabled for S3 buckets' },
  { id: '3.9', title: 'Ensure that object-level logging for read events is enabled for S3 buckets' },
  ...monitoringItems('4.3', "Ensure usage of the 'root' account is monitored"),
];

const CIS_V3: readonly ControlItem[] = [
  { id: '1.1', title: 'Maintain current contact details' },
  { id: '1.2', title: 'Ensure security contact information is registered' },
  { id: '1.3', title: 'Ensure security questions are registered in the AWS account' },
  { id: '1.4', title: "Ensure no 'root' user account access key exists" },
  { id: '1.5', title: "Ensure MFA is enabled for the 'root' user account" },
  { id: '1.6', title: "Ensure hardware MFA is enabled for the 'root' user account" },
  { id: '1.7', title: "Eliminate use of the 'root' user for administrative and daily tasks" },
  { id: '1.8', title: 'Ensure IAM password policy requires minimum length of 14 or greater' },
  { id: '1.9', title: 'Ensure IAM password policy prevents password reuse' },
  { id: '1.10', title: 'Ensure multi-factor authentication (MFA) is enabled for all IAM users that have a console password' },
  { id: '1.11', title: 'Do not setup access keys during initial user setup for all IAM users that have a console password' },
  { id: '1.12', title: 'Ensure credentials unused for 45 days or greater are disabled' },
  { id: '1.13', title: 'Ensure there is only one active access key available for any single IAM user' },
  { id: '1.14', title: 'Ensure access keys are rotated every 90 days or less' },
  { id: '1.15', title: 'Ensure IAM users receive permissions only through groups' },
  { id: '1.16', title: 'Ensure IAM policies that allow full "*:*" administrative privileges are not attached' },
  { id: '1.17', title: 'Ensure a support role has been created to manage incidents with AWS Support' },
  { id: '1.18', title: 'Ensure IAM instance roles are used for AWS resource access from instances' },
  { id: '1.19', title: 'Ensure that all the expired SSL/TLS certificates stored in AWS IAM are removed' },
  { id: '1.20', title: 'Ensure that IAM Access analyzer is enabled for all regions' },
  {
    id: '1.21',
    title: 'Ensure IAM users are managed centrally via identity federation or AWS Organizations for multi-account environments',
  },
  { id: '1.22', title: 'Ensure access to AWSCloudShellFullAccess is restricted' },
  { id: '3.1', title: 'Ensure CloudTrail is enabled in all regions' },
  { id: '3.2', title: 'Ensure CloudTrail log file validation is enabled' },
  { id: '3.3', title: 'Ensure AWS Config is enabled in all regions' },
  { id: '3.4', title: 'Ensure S3 bucket access logging is enabled on the CloudTrail S3 bucket' },
  { id: '3.5', title: 'Ensure CloudTrail logs are encrypted at rest using KMS CMKs' },
  { id: '3.6', title: 'Ensure rotation for customer-created symmetric CMKs is enabled' },
  { id: '3.7', title: 'Ensure VPC flow logging is enabled in all VPCs' },
  { id: '3.8', title: 'Ensure that object-level logging for write events is enabled for S3 bucket' },
  { id: '3.9', title: 'Ensure that object-level logging for read events is enabled for S3 bucket' },
  ...monitoringItems('4.3', "Ensure usage of 'root' account is monitored"),
];

/** Section 4 (Monitoring) reads the same in v3.0.0 and v5.0.0 but for the title of 4.3. */
function monitoringItems(rootId: string, rootTitle: string): ControlItem[] {
  return [
    { id: '4.1', title: 'Ensure unauthorized API calls are monitored' },
    { id: '4.2', title: 'Ensure management console sign-in without MFA is monitored' },
    { id: rootId, title: rootTitle },
    { id: '4.4', title: 'Ensure IAM policy changes are monitored' },
    { id: '4.5', title: 'Ensure CloudTrail configuration changes are monitored' },
    { id: '4.6', title: 'Ensure AWS Management Console authentication failures are monitored' },
    { id: '4.7', title: 'Ensure disabling or scheduled deletion of customer created CMKs is monitored' },
    { id: '4.8', title: 'Ensure S3 bucket policy changes are monitored' },
    { id: '4.9', title: 'Ensure AWS Config configuration changes are monitored' },
    { id: '4.10', title: 'Ensure security group changes are monitored' },
    { id: '4.11', title: 'Ensure Network Access Control List (NACL) changes are monitored' },
    { id: '4.12', title: 'Ensure changes to network gateways are monitored' },
    { id: '4.13', title: 'Ensure route table changes are monitored' },
    { id: '4.14', title: 'Ensure VPC changes are monitored' },
    { id: '4.15', title: 'Ensure AWS Organizations changes are monitored' },
    { id: '4.16', title: 'Ensure AWS Security Hub is enabled' },
  ];
}

const CIS_SOURCE =
  'CIS Amazon Web Services Foundations Benchmark (item ids and titles as listed by the public mappings ' +
  'turbot/steampipe-mod-aws-compliance cis_v300/ and cis_v500/ section files, and prowler-cloud/prowler ' +
  'prowler/compliance/aws/cis_3.0_aws.json and cis_5.0_aws.json; Security Hub CSPM control reference for the ' +
  'requirement names: https://docs.aws.amazon.com/securityhub/latest/userguide/cis-aws-foundations-benchmark.html)';

const CIS_SCOPE =
  'sections 1 (Identity and Access Management), 3 (Logging) and 4 (Monitoring); 2 (Storage) and 5 (Networking) are not listed';

/** Every framework, in the order reports list them. */
export const FRAMEWORKS: readonly Framework[] = [
  {
    id: 'CIS-5.0',
    name: 'CIS AWS Foundations Benchmark v5.0.0',
    source: CIS_SOURCE,
    scope: CIS_SCOPE,
    securityHubRequirement: (item) => `CIS AWS Foundations Benchmark v5.0.0/${item}`,
    items: CIS_V5,
  },
  {
    id: 'CIS-3.0',
    name: 'CIS AWS Foundations Benchmark v3.0.0',
    source: CIS_SOURCE,
    scope: CIS_SCOPE,
    securityHubRequirement: (item) => `CIS AWS Foundations Benchmark v3.0.0/${item}`,
    items: CIS_V3,
  },
  {
    id: 'SecurityHub',
    name: 'AWS Security Hub CSPM controls',
    source: 'https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html and cloudtrail-controls.html',
    scope: 'the IAM and CloudTrail controls that concern roles, policies and the trail',
    items: [
      { id: 'IAM.1', title: 'IAM policies should not allow full "*" administrative privileges' },
      { id: 'IAM.2', title: 'IAM users should not have IAM policies attached' },
      { id: 'IAM.21', title: 'IAM customer managed policies that you create should not allow wildcard actions for services' },
      { id: 'IAM.27', title: 'IAM identities should not have the AWSCloudShellFullAccess policy attached' },
      { id: 'IAM.28', title: 'IAM Access Analyzer external access analyzer should be enabled' },
      {
        id: 'CloudTrail.1',
        title:
          'CloudTrail should be enabled and configured with at least one multi-Region trail that includes read and write management events',
      },
    ],
  },
  {
    id: 'NIST-800-53-r5',
    name: 'NIST SP 800-53 Rev. 5',
    source:
      'NIST SP 800-53 Rev. 5 control catalog, https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final (OSCAL: usnistgov/oscal-content nist.gov/SP800-53/rev5); ' +
      'AC mappings of IAM.1 from the Security Hub CSPM control reference',
    scope: 'the access control, audit, configuration management, identification and monitoring controls a role monitor evidences',
    securityHubRequirement: (item) => `NIST.800-53.r5 ${item}`,
    items: [
      { id: 'AC-2', title: 'Account Management' },
      { id: 'AC-2(1)', title: 'Account Management | Automated System Account Management' },
      { id: 'AC-2(3)', title: 'Account Management | Disable Accounts' },
      { id: 'AC-2(4)', title: 'Account Management | Automated Audit Actions' },
      { id: 'AC-2(7)', title: 'Account Management | Privileged User Accounts' },
      { id: 'AC-2(12)', title: 'Account Management | Account Monitoring for Atypical Usage' },
      { id: 'AC-3', title: 'Access Enforcement' },
      { id: 'AC-3(7)', title: 'Access Enforcement | Role-based Access Control' },
      { id: 'AC-5', title: 'Separation of Duties' },
      { id: 'AC-6', title: 'Least Privilege' },
      { id: 'AC-6(1)', title: 'Least Privilege | Authorize Access to Security Functions' },
      { id: 'AC-6(2)', title: 'Least Privilege | Non-privileged Access for Nonsecurity Functions' },
      { id: 'AC-6(5)', title: 'Least Privilege | Privileged Accounts' },
      { id: 'AC-6(7)', title: 'Least Privilege | Review of User Privileges' },
      { id: 'AC-6(9)', title: 'Least Privilege | Log Use of Privileged Functions' },
      { id: 'AC-6(10)', title: 'Least Privilege | Prohibit Non-privileged Users from Executing Privileged Functions' },
      { id: 'AC-20', title: 'Use of External Systems' },
      { id: 'AU-6', title: 'Audit Record Review, Analysis, and Reporting' },
      { id: 'AU-9', title: 'Protection of Audit Information' },
      { id: 'AU-12', title: 'Audit Record Generation' },
      { id: 'CM-3', title: 'Configuration Change Control' },
      { id: 'CM-5', title: 'Access Restrictions for Change' },
      { id: 'IA-8', title: 'Identification and Authentication (Non-organizational Users)' },
      { id: 'SI-4', title: 'System Monitoring' },
    ],
  },
  {
    id: 'PCI-DSS-4.0',
    name: 'PCI DSS v4.0',
    source:
      'PCI DSS v4.0 Requirements and Testing Procedures (PCI Security Standards Council, March 2022); ids as listed by prowler-cloud/prowler prowler/compliance/aws/pci_4.0_aws.json',
    scope: 'requirements 6.5.1, 7.2 (access control model and privileges), 10.2.1 (audit log events), 10.4.1 and 10.7.2',
    securityHubRequirement: (item) => `PCI DSS v4.0/${item}`,
    items: [
      {
        id: '6.5.1',
        title: 'Changes to all system components in the production environment are made according to established procedures',
      },
      { id: '7.2.1', title: 'An access control model is defined and includes granting access' },
      {
        id: '7.2.2',
        title:
          'Access is assigned to users, including privileged users, based on job classification and function and least privileges',
      },
      {
        id: '7.2.4',
        title: 'All user accounts and related access privileges, including third-party/vendor accounts, are reviewed',
      },
      {
        id: '7.2.5',
        title:
          'All application and system accounts and related access privileges are assigned and managed based on least privileges',
      },
      { id: '7.2.5.1', title: 'All access by application and system accounts and related access privileges are reviewed' },
      { id: '10.2.1', title: 'Audit logs are enabled and active for all system components and cardholder data' },
      { id: '10.2.1.2', title: 'Audit logs capture all actions taken by any individual with administrative access' },
      { id: '10.2.1.4', title: 'Audit logs capture all invalid logical access attempts' },
      {
        id: '10.2.1.5',
        title:
          'Audit logs capture all changes to identification and authentication credentials, including elevation of privileges and changes to accounts with administrative access',
      },
      {
        id: '10.2.1.6',
        title: 'Audit logs capture initialization of new audit logs and starting, stopping, or pausing of existing audit logs',
      },
      { id: '10.4.1.1', title: 'Automated mechanisms are used to perform audit log reviews' },
      { id: '10.7.2', title: 'Failures of critical security control systems are detected, alerted, and addressed promptly' },
    ],
  },
  {
    id: 'ATTACK',
    name: 'MITRE ATT&CK Enterprise (IaaS)',
    source: 'https://attack.mitre.org/techniques/<id with / for .>/ (one page per technique)',
    scope: 'the cloud techniques that act on or through IAM roles, trust and logging',
    items: [
      { id: 'T1078.004', title: 'Valid Accounts: Cloud Accounts' },
      { id: 'T1087.004', title: 'Account Discovery: Cloud Account' },
      { id: 'T1098.001', title: 'Account Manipulation: Additional Cloud Credentials' },
      { id: 'T1098.003', title: 'Account Manipulation: Additional Cloud Roles' },
      { id: 'T1136.003', title: 'Create Account: Cloud Account' },
      { id: 'T1199', title: 'Trusted Relationship' },
      { id: 'T1484.002', title: 'Domain or Tenant Policy Modification: Trust Modification' },
      { id: 'T1530', title: 'Data from Cloud Storage' },
      { id: 'T1548.005', title: 'Abuse Elevation Control Mechanism: Temporary Elevated Cloud Access' },
      { id: 'T1555.006', title: 'Credentials from Password Stores: Cloud Secrets Management Stores' },
      { id: 'T1562.001', title: 'Impair Defenses: Disable or Modify Tools' },
      { id: 'T1562.008', title: 'Impair Defenses: Disable or Modify Cloud Logs' },
    ],
  },
];

/** A control id split into its framework and the framework's own item id; undefined when no framework has it. */
export function parseControl(control: string): { framework: Framework; item: ControlItem } | undefined {
  for (const framework of FRAMEWORKS) {
    if (!control.startsWith(`${framework.id}-`)) continue;
    const id = control.slice(framework.id.length + 1);
    const item = framework.items.find((candidate) => candidate.id === id);
    return item ? { framework, item } : undefined;
  }
  return undefined;
}

/** The framework `rolewatch report --framework` names (case-insensitive: cis-5.0, attack, ...). */
export function findFramework(name: string): Framework | undefined {
  return FRAMEWORKS.find((framework) => framework.id.toLowerCase() === name.toLowerCase());
}

/** Every valid control id, for validating input. */
export const CONTROL_IDS: ReadonlySet<string> = new Set(
  FRAMEWORKS.flatMap((framework) => framework.items.map((item) => `${framework.id}-${item.id}`)),
);

/**
 * The controls as Security Hub writes them in Compliance.RelatedRequirements (frameworks Security Hub
 * names there only: CIS, NIST 800-53, PCI DSS). Security Hub takes at most 32.
 */
export function securityHubRequirements(controls: readonly string[]): string[] {
  return controls
    .flatMap((control) => {
      const parsed = parseControl(control);
      return parsed?.framework.securityHubRequirement ? [parsed.framework.securityHubRequirement(parsed.item.id)] : [];
    })
    .slice(0, 32);
}
