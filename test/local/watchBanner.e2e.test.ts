import { CloudTrailClient, CloudTrailServiceException, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import type { Browser } from 'playwright-core';
import { createReportApi } from '../../shared/api/reportApi';
import { type ApiServer, startApiServer } from '../../shared/api/server';
import { uiAsset } from '../../shared/local/ui';
import { startWatching, type Watch, watchTargets } from '../../shared/local/watch';
import { DynamoReportStore } from '../../shared/store/dynamo/DynamoReportStore';
import { browserIt, launchBrowser, watchedPage } from '../support/browser';
import { useLocalDynamo } from '../support/dynamo';

/**
 * A CloudTrail watch that starts well and then fails (the credentials expire), as `npm start -- --watch` wires it:
 * GET /summary reports it, and every page shows a banner while it fails.
 */
const dynamo = useLocalDynamo();
const cloudTrail = mockClient(CloudTrailClient);
const EXPIRED = 'The security token included in the request is expired';

interface SummaryWatch {
  watch?: {
    status: string;
    startedAt: string;
    regions: string[];
    lastSuccessAt?: string;
    failingSince?: string;
    lastError?: { at: string; region: string; eventSource: string; message: string };
  };
}

describe('a failing CloudTrail watch on the local monitor', () => {
  let server: ApiServer | undefined;
  let watch: Watch | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    cloudTrail
      .on(LookupEventsCommand)
      .resolvesOnce({ Events: [] })
      .rejects(
        new CloudTrailServiceException({
          name: 'ExpiredTokenException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: EXPIRED,
        }),
      );
    watch = startWatching({
      targets: watchTargets(['eu-west-1']),
      intervalMs: 20,
      overlapMs: 0,
      since: Date.now() - 3_600_000,
      clientFor: (target) => new CloudTrailClient({ region: target.region }),
      onRecords: async () => undefined,
      onError: () => undefined,
    });
    const stores = await dynamo.newStores();
    const api = createReportApi({
      reports: new DynamoReportStore(stores),
      findings: stores.findings,
      logger: { error: () => undefined },
      watch: () => watch?.status(),
    });
    server = await startApiServer({ api, port: 0, assets: uiAsset });
  }, 90_000);

  afterAll(async () => {
    watch?.stop();
    await browser?.close();
    await server?.close();
    cloudTrail.restore();
  });

  const summary = async (): Promise<SummaryWatch> => {
    if (!server) throw new Error('no server');
    return (await (await fetch(`${server.url}/summary`)).json()) as SummaryWatch;
  };

  it('GET /summary reports the watch failing, since when, and the last error with its time and region', async () => {
    let answer = await summary();
    for (let i = 0; i < 100 && answer.watch?.status !== 'failing'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      answer = await summary();
    }
    expect(answer.watch).toMatchObject({
      status: 'failing',
      regions: ['us-east-1', 'eu-west-1'],
      lastError: { message: EXPIRED, eventSource: expect.stringMatching(/^(iam|sts)\.amazonaws\.com$/) },
    });
    const { failingSince, lastError, startedAt } = answer.watch ?? {};
    expect(Date.parse(failingSince ?? '')).toBeGreaterThanOrEqual(Date.parse(startedAt ?? ''));
    expect(Date.parse(lastError?.at ?? '')).toBeGreaterThanOrEqual(Date.parse(failingSince ?? ''));
  });

  browserIt(
    'every page shows the failing watch in a banner, with the error',
    async () => {
      browser ??= await launchBrowser();
      const { page, problems } = await watchedPage(browser);
      for (const path of ['/ui/', '/ui/graph.html']) {
        await page.goto(`${server?.url}${path}`);
        const banner = page.locator('#watch-failing[role="alert"]');
        await banner.waitFor();
        const text = (await banner.textContent()) ?? '';
        expect(text).toContain('Reading CloudTrail has failed since');
        expect(text).toContain('findings may be missing');
        expect(text).toContain(EXPIRED);
      }
      expect(problems).toEqual([]);
    },
    60_000,
  );
});
