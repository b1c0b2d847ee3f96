import path from 'node:path';
import { createReportApi } from '../api/reportApi';
import { startApiServer } from '../api/server';
import { credentialHint } from '../awsClients';
import { readTrailInputs } from '../cloudtrail/read';
import type { Config } from '../config/config';
import { demoConfig, demoEvents } from '../demo/scenario';
import { ValidationError } from '../errors';
import { AwsIamReader } from '../iam/AwsIamReader';
import { startLocalMonitor } from '../local/monitor';
import { uiAsset } from '../local/ui';
import {
  checkWatchAccess,
  cloudTrailClients,
  startWatching,
  WATCH_AWS_USE,
  type Watch,
  type WatchTarget,
  watchTargets,
} from '../local/watch';
import { DynamoReportStore } from '../store/dynamo/DynamoReportStore';
import { LOCAL_REGION, type LocalDynamo } from '../store/dynamoLocal';
import { defineCommand, HELP_OPTION, resolveConfig } from './options';

const HELP = `usage: rolewatch start [options]      (npm start -- [options])

Runs the whole monitor on this machine: DynamoDB Local, the functions' code fed through the same routes
as RoleWatch's EventBridge rules, alerts printed and written as .eml files, the reporting API and a
read-only web page on 127.0.0.1. Runs until Ctrl-C, then stops everything it started.

  (no option)         replays the bundled demo: a day of an account ending with a backdoor role
  --replay PATH...    replays your CloudTrail files or directories instead (repeat --replay, or list paths)
  --watch             with your AWS credentials, polls CloudTrail LookupEvents (IAM in us-east-1, STS in
                      --regions) every minute and evaluates the account's real events live
  --regions R1,R2     regions whose role assumptions --watch reads (default us-east-1)
  --port N            port of the API and page (default: PORT, else 8787; 0 picks a free one)
  --mail-dir DIR      where alert e-mails are written (default .rolewatch/mail)
  --config FILE       rolewatch.config.yml/.json (the demo brings its own)
`;

/** Runs the local monitor until SIGINT or SIGTERM. */
export const runStart = defineCommand(
  HELP,
  {
    allowPositionals: true,
    options: {
      replay: { type: 'string', multiple: true },
      watch: { type: 'boolean' },
      regions: { type: 'string' },
      port: { type: 'string' },
      'mail-dir': { type: 'string' },
      config: { type: 'string' },
      ...HELP_OPTION,
    },
  },
  async ({ values, positionals }) => {
    const replay = [...(values.replay ?? []), ...positionals];
    if (replay.length > 0 && values.watch) throw new ValidationError('--watch', 'replays and live watching are separate runs');
    const port = parsePort(values.port ?? process.env.PORT ?? '8787');
    const mailDirectory = path.resolve(values['mail-dir'] ?? path.join('.rolewatch', 'mail'));
    const demo = replay.length === 0 && !values.watch;
    const config: Config = demo && !values.config ? demoConfig() : resolveConfig(values.config);
    const out = process.stdout;
    const regions = (values.regions ?? 'us-east-1')
      .split(',')
      .map((r) => r.trim())
      .filter((r) => r !== '');
    const targets = watchTargets(regions);
    const cloudTrail = values.watch ? cloudTrailClients() : undefined;
    if (cloudTrail) {
      // Before anything starts: without credentials that CloudTrail accepts, stop here and say what to set.
      out.write(
        `RoleWatch: checking that CloudTrail answers (LookupEvents in ${[...new Set(targets.map((t) => t.region))].join(', ')})...\n`,
      );
      try {
        await checkWatchAccess(targets, cloudTrail.clientFor);
      } catch (error) {
        cloudTrail.destroy();
        throw error;
      }
    }

    out.write('RoleWatch: starting DynamoDB Local...\n');
    const monitor = await startLocalMonitor({
      config,
      mailDirectory,
      stream: out,
      ...(values.watch
        ? { iam: new AwsIamReader(new (await import('@aws-sdk/client-iam')).IAMClient({ region: 'us-east-1' })) }
        : {}),
    });
    let watch: Watch | undefined;
    const api = createReportApi({
      reports: new DynamoReportStore(monitor.stores, { accounts: config.knownAccounts }),
      watch: () => watch?.status(),
      findings: monitor.stores.findings,
      logger: { error: (message, details) => out.write(`[api error] ${message} ${JSON.stringify(details)}\n`) },
      access: { knownAccounts: config.knownAccounts, thirdParties: config.trustedThirdParties },
    });
    let server: Awaited<ReturnType<typeof startApiServer>>;
    try {
      server = await startApiServer({ api, port, assets: uiAsset });
    } catch (error) {
      cloudTrail?.destroy();
      await monitor.stop();
      throw error;
    }
    const stopped = new Promise<void>((resolve) => {
      const stop = () => {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
        out.write('\nRoleWatch: stopping...\n');
        watch?.stop();
        cloudTrail?.destroy();
        void Promise.allSettled([server.close(), monitor.stop()]).then(() => {
          out.write('RoleWatch: stopped (DynamoDB Local and the server are gone).\n');
          resolve();
        });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

    out.write(banner(server.url, monitor.dynamo, mailDirectory));
    if (demo) {
      out.write('RoleWatch: replaying the demo day (alerts appear below as they are sent)...\n');
      const report = await monitor.feed(demoEvents());
      out.write(`RoleWatch: demo replayed: ${report.routed} events reached the functions, ${report.ignored} matched no rule.\n`);
    } else if (replay.length > 0) {
      const records = await readRecords(replay, out);
      out.write(`RoleWatch: replaying ${records.length} records...\n`);
      const report = await monitor.feed(records);
      out.write(
        `RoleWatch: replayed: ${report.routed} events reached the functions, ${report.ignored} matched no rule, ${report.failed} failed.\n`,
      );
    } else if (cloudTrail) {
      out.write(`RoleWatch: watching CloudTrail (IAM in us-east-1, STS in ${regions.join(', ')}), every minute...\n`);
      watch = startWatching({
        targets,
        intervalMs: 60_000,
        overlapMs: 15 * 60_000,
        since: Date.now() - 60 * 60_000,
        clientFor: cloudTrail.clientFor,
        onRecords: async (records) => {
          const report = await monitor.feed(records);
          if (report.routed > 0) out.write(`RoleWatch: ${report.routed} new CloudTrail events evaluated.\n`);
        },
        onError: (error, target) => out.write(watchFailure(error, target)),
      });
    }
    out.write(`RoleWatch: ready. Open ${server.url}/ui/ - Ctrl-C to stop.\n`);
    await stopped;
    return 0;
  },
);

/** What a failed read of CloudTrail prints: the credential hint when it is one, else what AWS said. */
function watchFailure(error: unknown, target: WatchTarget): string {
  const said = credentialHint(error, WATCH_AWS_USE) ?? (error instanceof Error ? error.message : String(error));
  return `RoleWatch: LookupEvents (${target.eventSource}) in ${target.region} failed; the page and /summary show the watch failing: ${said}\n`;
}

function banner(url: string, dynamo: LocalDynamo, mailDirectory: string): string {
  return [
    '',
    `  Web page         ${url}/ui/`,
    `  Reporting API    ${url}   (OpenAPI: ${url}/openapi.json)`,
    `  Alert e-mails    ${mailDirectory}   (.eml files; open them with any mail client)`,
    `  DynamoDB Local   ${dynamo.endpoint}   (pid ${dynamo.pid})`,
    `                   tables under access key ${dynamo.credentials.accessKeyId}, region ${LOCAL_REGION} (other keys see none)`,
    '',
    '  Try:',
    `    curl -s '${url}/summary'`,
    `    curl -s '${url}/findings?severity=critical&severity=high'`,
    `    curl -s -H 'accept: text/csv' '${url}/findings?status=open'`,
    `    curl -s '${url}/roles'`,
    `    curl -s '${url}/assumptions?sourceAccount=444455556666'`,
    '',
  ].join('\n');
}

async function readRecords(paths: string[], out: NodeJS.WritableStream): Promise<Record<string, unknown>[]> {
  const records: Record<string, unknown>[] = [];
  for await (const input of readTrailInputs(paths)) {
    if ('error' in input) {
      out.write(`skipped ${input.source}: ${input.error}\n`);
      continue;
    }
    const record = input.record;
    if (record !== null && typeof record === 'object' && !Array.isArray(record)) {
      const detail = (record as { detail?: unknown }).detail;
      records.push((detail !== null && typeof detail === 'object' ? detail : record) as Record<string, unknown>);
    }
  }
  return records;
}

/** A --port value: 0 to 65535. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new ValidationError('--port', `must be a port number, got "${value}"`);
  return port;
}
