import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createReportApi, type ReportApi } from '../api/reportApi';
import { startApiServer } from '../api/server';
import { createDynamoStores, dynamoClient } from '../context';
import { ValidationError } from '../errors';
import { uiAssets } from '../local/ui';
import { DynamoReportStore } from '../store/dynamo/DynamoReportStore';
import { defineCommand, HELP_OPTION, resolveConfig, tableRegion } from './options';
import { parsePort } from './start';

const HELP = `usage: rolewatch ui --table NAME [options]

Serves RoleWatch's web page and reporting API on 127.0.0.1 over a deployed table (or any RoleWatch table),
read with your own AWS credentials: no web endpoint has to be exposed to get a view. Runs until Ctrl-C.

  --table NAME        the table (stack output TableName, e.g. rolewatch-prod-RoleWatchTable-XXXX)
  --region REGION     its region (default: AWS_REGION, else us-east-1)
  --endpoint URL      DynamoDB endpoint, e.g. http://127.0.0.1:8000 for DynamoDB Local
  --port N            port of the page (default: PORT, else 8788; 0 picks a free one)
  --allow-writes      offer suppress and re-open (recorded as by your AWS identity); read-only without it
  --config FILE       rolewatch.config.yml/.json: knownAccounts and trustedThirdParties mark the access graph
`;

/** DynamoDB operations that write: refused by the client itself when the page is read-only. */
const WRITE_COMMANDS = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
  'CreateTableCommand',
  'DeleteTableCommand',
  'UpdateTableCommand',
]);

/** Serves the page over a table until SIGINT or SIGTERM. */
export const runUi = defineCommand(
  HELP,
  {
    options: {
      table: { type: 'string' },
      region: { type: 'string' },
      endpoint: { type: 'string' },
      port: { type: 'string' },
      'allow-writes': { type: 'boolean' },
      config: { type: 'string' },
      ...HELP_OPTION,
    },
  },
  async ({ values }) => {
    if (!values.table) throw new ValidationError('--table', 'is required: the name of RoleWatch table');
    const region = tableRegion(values.region);
    const port = parsePort(values.port ?? process.env.PORT ?? '8788');
    const writable = values['allow-writes'] === true;
    const config = resolveConfig(values.config);
    const client = dynamoClient({ region, endpoint: values.endpoint });
    if (!writable) refuseWrites(client);
    const stores = createDynamoStores({ client, tableName: values.table });
    const reports = new DynamoReportStore(stores, { accounts: config.knownAccounts, readOnly: !writable });
    try {
      await reports.loadCursorKey();
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'ResourceNotFoundException')
        throw new ValidationError(
          '--table',
          `no table ${values.table} in ${region}${values.endpoint ? ` at ${values.endpoint}` : ''}`,
        );
      throw error;
    }
    const out = process.stdout;
    const caller = writable ? await callerOf(region, values.endpoint) : 'read-only';
    const api = createReportApi({
      reports,
      findings: stores.findings,
      logger: { error: (message, details) => out.write(`[api error] ${message} ${JSON.stringify(details)}\n`) },
      access: { knownAccounts: config.knownAccounts, thirdParties: config.trustedThirdParties },
    });
    const source = `table ${values.table} (${region})`;
    const server = await startApiServer({
      api: asCaller(api, caller, writable),
      port,
      assets: uiAssets({ source, writable }),
    });
    out.write(
      [
        `RoleWatch: serving ${source}, ${writable ? `writes allowed (recorded as by ${caller})` : 'read-only'}.`,
        `RoleWatch: ready. Open ${server.url}/ui/ - Ctrl-C to stop.`,
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
    client.destroy();
    out.write('RoleWatch: stopped.\n');
    return 0;
  },
);

/** Makes the client refuse every write before it is signed or sent. */
function refuseWrites(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next, context) => async (input) => {
      if (WRITE_COMMANDS.has(context.commandName ?? ''))
        throw new Error(`read-only: ${String(context.commandName)} refused (rolewatch ui --allow-writes allows it)`);
      return next(input);
    },
    { step: 'initialize', name: 'rolewatchReadOnly' },
  );
}

/** Requests arrive as by `caller`; writes are refused with 403 unless allowed. */
function asCaller(api: ReportApi, caller: string, writable: boolean): ReportApi {
  return {
    ...api,
    handle: async (request) => {
      if (!writable && request.method !== 'GET' && request.method !== 'HEAD')
        return {
          status: 403,
          headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
          body: JSON.stringify({ error: { reason: 'read-only: start rolewatch ui with --allow-writes to suppress or re-open' } }),
        };
      return api.handle({ ...request, caller });
    },
  };
}

/** Who the credentials are (recorded on suppressions): the STS identity, or `local` against a local endpoint. */
async function callerOf(region: string, endpoint: string | undefined): Promise<string> {
  if (endpoint) return 'local';
  const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const sts = new STSClient({ region });
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    return identity.Arn ?? 'unknown';
  } finally {
    sts.destroy();
  }
}
