import type { Stamp } from './roleRecord';

/** A customer-managed policy as RoleWatch remembers it from CreatePolicy/CreatePolicyVersion/SetDefaultPolicyVersion. */
export interface PolicyRecord {
  account: string;
  arn: string;
  /** The default version, stamped like role parts (last writer wins). */
  defaultVersion?: Stamp & { versionId: string };
  /** Documents of versions seen in events, by version id. */
  versions: Record<string, string>;
  deleted?: Stamp;
}

/** A change to a customer-managed policy. */
export type PolicyChange =
  | { kind: 'version'; versionId: string; document: string }
  | { kind: 'default'; stamp: Stamp; versionId: string }
  | { kind: 'deleted'; stamp: Stamp };
