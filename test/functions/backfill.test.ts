import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, type GetObjectCommandOutput, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { isInWindow, logFileTime } from '../../shared/app/backfill';
import { createDynamoStores } from '../../shared/context';
import { backfillDefinition } from '../../shared/deploy/stateMachines';
import { runCli } from '../support/cli';
import { useLocalDynamo } from '../support/dynamo';
import { useLambdaEnvironment } from '../support/lambda';
import { runStateMachine } from '../support/stepFunctions';
import {
  ACCOUNT,
  assumeRole,
  attachRolePolicy,
  createRole,
  FOREIGN_ACCOUNT,
  failed,
  putRolePolicy,
  resetClock,
  trustDocument,
  updateTrust,
} from '../support/trail';

const dynamo = useLocalDynamo();
const { tableName } = useLambdaEnvironment(dynamo, { alerts: { minSeverity: 'high' } });
const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);

const BUCKET = 'org-trail-logs';
const PREFIX = `AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/`;
const logKey = (stamp: string, unique: string) =>
  `${PREFIX}2026/11/02/${ACCOUNT}_CloudTrail_us-east-1_${stamp}_${unique}.json.gz`;

/** GetObject's answer: a body stream with the SDK's transform methods. */
function objectBody(bytes: Uint8Array): GetObjectCommandOutput {
  const body = Object.assign(Readable.from([bytes]), {
    transformToByteArray: async () => bytes,
    transformToString: async () => Buffer.from(bytes).toString('utf8'),
    transformToWebStream: () => {
      throw new Error('not used');
    },
  });
  return {
    $metadata: { httpStatusCode: 200 },
    Body: body as unknown as GetObjectCommandOutput['Body'],
    ContentLength: bytes.length,
  };
}

describe('backfill log file keys', () => {
  it('reads the delivery time of a CloudTrail log file key and nothing else', () => {
    expect(logFileTime(logKey('20261102T0905Z', 'Ab12Cd34Ef56Gh78'))).toBe(Date.parse('2026-11-02T09:05:00Z'));
    expect(
      logFileTime(
        `AWSLogs/${ACCOUNT}/CloudTrail-Digest/us-east-1/2026/11/02/${ACCOUNT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20261102T0905Z.json.gz`,
      ),
    ).toBeUndefined();
    expect(logFileTime('AWSLogs/../../etc/passwd')).toBeUndefined();
    expect(logFileTime(logKey('20261302T0905Z', 'x1'))).toBeUndefined();
    const window = { since: Date.parse('2026-11-02T09:00:00Z'), until: Date.parse('2026-11-02T10:00:00Z') };
    expect(isInWindow(logKey('20261102T0900Z', 'a1'), window)).toBe(true);
    expect(isInWindow(logKey('20261102T1000Z', 'a1'), window)).toBe(false);
    expect(isInWindow(logKey('20261102T0855Z', 'a1'), window)).toBe(false);
  });
});

describe('backfill in AWS, run here: the state machine over S3, the child over DynamoDB Local', () => {
  it('records the same findings as rolewatch evaluate on the same files, without alerting, and a second run changes nothing', async () => {
    resetClock('2026-11-02T09:00:00Z');
    const foreign = `arn:aws:iam::${FOREIGN_ACCOUNT}:root`;
    const role = `arn:aws:iam::${ACCOUNT}:role/backdoor`;
    const before = [createRole('early', trustDocument(foreign))];
    const files = [
      [
        createRole('backdoor', trustDocument(`arn:aws:iam::${ACCOUNT}:root`)),
        attachRolePolicy('backdoor', 'arn:aws:iam::aws:policy/AdministratorAccess'),
      ],
      [
        updateTrust('backdoor', trustDocument(foreign)),
        failed(updateTrust('backdoor', trustDocument('*')), 'MalformedPolicyDocument'),
      ],
      [
        putRolePolicy('backdoor', 'wide', {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }],
        }),
        assumeRole(role, `arn:aws:iam::${FOREIGN_ACCOUNT}:user/mallory`),
      ],
    ];
    // Delivered 09:10, 09:20, 09:30; one before the window, a digest file and something else under the prefix.
    const objects = new Map<string, Uint8Array>([
      [logKey('20261102T0850Z', 'Early0000000001'), gzipSync(JSON.stringify({ Records: before }))],
      ...files.map((records, i): [string, Uint8Array] => [
        logKey(`20261102T09${i + 1}0Z`, `Batch000000000${i}`),
        gzipSync(JSON.stringify({ Records: records })),
      ]),
      [
        `AWSLogs/${ACCOUNT}/CloudTrail-Digest/us-east-1/2026/11/02/${ACCOUNT}_CloudTrail-Digest_us-east-1_t_us-east-1_20261102T0930Z.json.gz`,
        gzipSync('{}'),
      ],
      [`${PREFIX}README.txt`, new TextEncoder().encode('not a log file')],
    ]);
    s3.on(ListObjectsV2Command).callsFake((input: { Bucket?: string; Prefix?: string; ContinuationToken?: string }) => {
      expect(input.Bucket).toBe(BUCKET);
      const keys = [...objects.keys()].filter((key) => key.startsWith(input.Prefix ?? '')).sort();
      // Two pages, as S3 pages a long listing.
      const first = input.ContinuationToken === undefined;
      const page = first ? keys.slice(0, 3) : keys.slice(3);
      return {
        $metadata: { httpStatusCode: 200 },
        Contents: page.map((Key) => ({
          Key,
          Size: objects.get(Key)?.length ?? 0,
          ETag: '"9b2cf535f27731c974343645a3985328"',
          LastModified: new Date('2026-11-02T10:00:00Z'),
          StorageClass: 'STANDARD',
        })),
        IsTruncated: first,
        ...(first ? { NextContinuationToken: 'page-2' } : {}),
        KeyCount: page.length,
      };
    });
    s3.on(GetObjectCommand).callsFake((input: { Bucket?: string; Key?: string }) => {
      const bytes = objects.get(input.Key ?? '');
      if (input.Bucket !== BUCKET || !bytes)
        throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
      return objectBody(bytes);
    });
    const { handler } = await import('../../functions/backfill/handler');
    const input = {
      bucket: BUCKET,
      prefix: `AWSLogs/${ACCOUNT}/`,
      since: '2026-11-02T09:00:00.000Z',
      until: '2026-11-02T10:00:00.000Z',
    };
    // Batches of two files: the children see the files in listing (delivery) order, as a Map run hands them out.
    const definition = backfillDefinition(1);
    const map = (definition.States as Record<string, { ItemBatcher: { MaxItemsPerBatch: number } }>).EvaluateLogFiles;
    if (map) map.ItemBatcher.MaxItemsPerBatch = 2;
    const calls = new Map<string, number>();

    const run = await runStateMachine(definition, input, {
      functions: { BackfillFunctionArn: handler },
      s3: s3 as unknown as S3Client,
      calls,
    });

    expect(run).toEqual({ status: 'SUCCEEDED', output: { batches: 3 } });
    expect(calls.get('EvaluateBatch')).toBe(3);
    // Only the three log files of the window were read.
    expect(
      s3
        .commandCalls(GetObjectCommand)
        .map((c) => c.args[0].input.Key)
        .sort(),
    ).toEqual(files.map((_, i) => logKey(`20261102T09${i + 1}0Z`, `Batch000000000${i}`)).sort());
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);

    // The same files through rolewatch evaluate, in memory.
    const dir = mkdtempSync(join(tmpdir(), 'rolewatch-backfill-same-'));
    mkdirSync(join(dir, 'logs'));
    for (const [i, records] of files.entries()) {
      writeFileSync(join(dir, 'logs', `${i}.json.gz`), gzipSync(JSON.stringify({ Records: records })));
    }
    const evaluated = await runCli('evaluate', join(dir, 'logs'), '--format', 'jsonl');
    expect(evaluated.code).toBe(0);
    const expected = evaluated.stdout
      .trim()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { findingId: string; ruleId: string; severity: string; resource: string; account: string },
      );
    expect(expected.map((f) => f.ruleId)).toEqual(
      expect.arrayContaining([
        'trust-unknown-account',
        'admin-policy-attached',
        'new-role-gets-admin',
        'assumed-from-unknown-account',
      ]),
    );

    const { findings } = createDynamoStores({ client: dynamo.local.client, tableName });
    const resources = [...new Set(expected.map((f) => `${f.account} ${f.resource}`))];
    const stored = (await Promise.all(resources.map((r) => findings.forResource(...(r.split(' ') as [string, string]))))).flat();
    const shape = (f: { id?: string; findingId?: string; ruleId: string; severity: string; resource: string }) =>
      `${f.id ?? f.findingId} ${f.ruleId} ${f.severity} ${f.resource}`;
    expect(stored.map(shape).sort()).toEqual([...new Set(expected.map(shape))].sort());
    expect(stored.map((f) => f.alert.state)).toEqual(stored.map(() => 'none'));
    // The file delivered before the window was not loaded.
    expect(await findings.forResource(ACCOUNT, `arn:aws:iam::${ACCOUNT}:role/early`)).toEqual([]);

    // Resumed or redriven, a batch evaluates again: every event is already processed, nothing changes.
    const counts = stored.map((f) => f.count);
    expect(
      await runStateMachine(definition, input, { functions: { BackfillFunctionArn: handler }, s3: s3 as unknown as S3Client }),
    ).toEqual({
      status: 'SUCCEEDED',
      output: { batches: 3 },
    });
    const again = (await Promise.all(resources.map((r) => findings.forResource(...(r.split(' ') as [string, string]))))).flat();
    expect(again.map((f) => f.count)).toEqual(counts);
  }, 60_000);

  it('retries a batch S3 cannot serve, then fails the run so that it can be resumed', async () => {
    s3.reset();
    s3.on(ListObjectsV2Command).resolves({
      $metadata: { httpStatusCode: 200 },
      Contents: [{ Key: logKey('20261102T0910Z', 'Broken000000001'), Size: 10 }],
      IsTruncated: false,
    });
    s3.on(GetObjectCommand).rejects(
      Object.assign(new Error('We encountered an internal error. Please try again.'), { name: 'InternalError' }),
    );
    const { handler } = await import('../../functions/backfill/handler');
    const calls = new Map<string, number>();

    const run = await runStateMachine(
      backfillDefinition(),
      { bucket: BUCKET, prefix: PREFIX, since: '2026-11-02T00:00:00.000Z', until: '2026-11-03T00:00:00.000Z' },
      { functions: { BackfillFunctionArn: handler }, s3: s3 as unknown as S3Client, calls },
    );

    expect(run).toMatchObject({ status: 'FAILED', error: 'InternalError' });
    // The first attempt and the step's retries.
    expect(calls.get('EvaluateBatch')).toBe(4);
  }, 30_000);
});
