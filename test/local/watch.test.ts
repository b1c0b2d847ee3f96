import {
  AccessDeniedException,
  CloudTrailClient,
  CloudTrailServiceException,
  LookupEventsCommand,
  ThrottlingException,
} from '@aws-sdk/client-cloudtrail';
import { CredentialsProviderError } from '@smithy/core/config';
import { mockClient } from 'aws-sdk-client-mock';
import { CredentialsError } from '../../shared/errors';
import { checkWatchAccess, startWatching, type Watch, watchTargets } from '../../shared/local/watch';

const cloudTrail = mockClient(CloudTrailClient);
const clientFor = () => new CloudTrailClient({ region: 'us-east-1' });

/** Errors as the SDK raises them: the credential chain's, and CloudTrail's (JSON protocol) answers. */
const ERRORS = {
  noCredentials: () => new CredentialsProviderError('Could not load credentials from any providers', { tryNextLink: false }),
  expired: () =>
    new CloudTrailServiceException({
      name: 'ExpiredTokenException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'The security token included in the request is expired',
    }),
  denied: () =>
    new AccessDeniedException({
      $metadata: { httpStatusCode: 400 },
      message:
        'User: arn:aws:iam::123456789012:user/dev is not authorized to perform: cloudtrail:LookupEvents because no identity-based policy allows the cloudtrail:LookupEvents action',
    }),
  throttled: () => new ThrottlingException({ $metadata: { httpStatusCode: 400, attempts: 3 }, message: 'Rate exceeded' }),
};

function event(eventId: string): { EventId: string; CloudTrailEvent: string } {
  return {
    EventId: eventId,
    CloudTrailEvent: JSON.stringify({ eventID: eventId, eventSource: 'iam.amazonaws.com', eventName: 'CreateRole' }),
  };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

beforeEach(() => cloudTrail.reset());

describe('--watch checks CloudTrail before it says it is watching', () => {
  const targets = watchTargets(['us-east-1', 'eu-west-1']);

  it('without credentials, fails with what to set and the permission it needs', async () => {
    cloudTrail.on(LookupEventsCommand).rejects(ERRORS.noCredentials());
    const failure = checkWatchAccess(targets, clientFor);
    await expect(failure).rejects.toBeInstanceOf(CredentialsError);
    await expect(failure).rejects.toThrow(/no AWS credentials found \(Could not load credentials from any providers\)/);
    await expect(failure).rejects.toThrow(/AWS_PROFILE/);
    await expect(failure).rejects.toThrow(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    await expect(failure).rejects.toThrow(/cloudtrail:LookupEvents/);
  });

  it('with expired credentials, says to refresh them', async () => {
    cloudTrail.on(LookupEventsCommand).rejects(ERRORS.expired());
    await expect(checkWatchAccess(targets, clientFor)).rejects.toThrow(/the AWS credentials have expired/);
  });

  it('when LookupEvents is denied, names the permission to grant', async () => {
    cloudTrail.on(LookupEventsCommand).rejects(ERRORS.denied());
    await expect(checkWatchAccess(targets, clientFor)).rejects.toThrow(/To fix: grant cloudtrail:LookupEvents/);
  });

  it('fails on any other error too, naming the region', async () => {
    cloudTrail.on(LookupEventsCommand).resolvesOnce({ Events: [] }).rejects(ERRORS.throttled());
    await expect(checkWatchAccess(targets, clientFor)).rejects.toThrow(
      '--watch: CloudTrail LookupEvents in eu-west-1 failed: Rate exceeded',
    );
  });

  it('asks each region once, for a single event', async () => {
    cloudTrail.on(LookupEventsCommand).resolves({ Events: [] });
    await checkWatchAccess(targets, clientFor);
    expect(cloudTrail.commandCalls(LookupEventsCommand).map((call) => call.args[0].input.MaxResults)).toEqual([1, 1]);
  });
});

describe('a watch that fails later is visible in its status', () => {
  let watch: Watch | undefined;
  afterEach(() => watch?.stop());

  function watching(onRecords: (records: Record<string, unknown>[]) => Promise<void> = async () => undefined) {
    const errors: unknown[] = [];
    watch = startWatching({
      targets: watchTargets(['us-east-1']).slice(0, 1),
      intervalMs: 10,
      overlapMs: 0,
      since: Date.parse('2026-12-06T10:00:00Z'),
      clientFor,
      onRecords,
      onError: (error) => errors.push(error),
    });
    return { watch, errors };
  }

  it.each([
    ['credentials expire', ERRORS.expired, 'The security token included in the request is expired'],
    ['throttling outlasts the retries', ERRORS.throttled, 'Rate exceeded'],
    ['the credentials disappear', ERRORS.noCredentials, 'Could not load credentials from any providers'],
  ])('failing when %s, with the error and its time; watching again once reads succeed', async (_case, error, message) => {
    const seen: string[] = [];
    cloudTrail
      .on(LookupEventsCommand)
      .resolvesOnce({ Events: [event('e1')] })
      .rejectsOnce(error())
      .rejectsOnce(error())
      .resolves({ Events: [event('e2')] });
    const { watch, errors } = watching(async (records) => {
      seen.push(...records.map((r) => String(r.eventID)));
    });
    await until(() => errors.length === 2, 'two failed reads');
    await until(() => watch.status().status === 'failing', 'the failing status');
    const failing = watch.status();
    expect(failing.lastError).toMatchObject({ region: 'us-east-1', eventSource: 'iam.amazonaws.com', message });
    expect(failing.failingSince).toBeLessThanOrEqual(failing.lastError?.at ?? 0);
    expect(failing.lastSuccessAt).toBeLessThanOrEqual(failing.failingSince ?? 0);
    await until(() => seen.includes('e2') && watch.status().status === 'watching', 'the recovery');
    const recovered = watch.status();
    expect(recovered.failingSince).toBeUndefined();
    expect(recovered.lastError?.message).toBe(message);
    expect(recovered.lastSuccessAt).toBeGreaterThan(failing.lastError?.at ?? 0);
  });

  it('reads again from its last successful read after failures, so events of the outage are not lost', async () => {
    cloudTrail
      .on(LookupEventsCommand)
      .resolvesOnce({ Events: [] })
      .rejectsOnce(ERRORS.expired())
      .rejectsOnce(ERRORS.expired())
      .resolves({ Events: [] });
    const { watch, errors } = watching();
    await until(() => errors.length === 2 && cloudTrail.commandCalls(LookupEventsCommand).length >= 4, 'the read after recovery');
    watch.stop();
    const starts = cloudTrail.commandCalls(LookupEventsCommand).map((call) => call.args[0].input.StartTime?.getTime());
    // The first successful read ended at the second read's start: every later read starts there until one succeeds.
    expect(starts[2]).toBe(starts[1]);
    expect(starts[3]).toBe(starts[1]);
  });
});
