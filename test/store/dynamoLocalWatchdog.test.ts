/**
 * DynamoDB Local dies with the process that started it, however that process dies: SIGKILL (what the OOM killer
 * sends) runs no exit handler, so only the watchdog's pipe can tell java.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import path from 'node:path';

const MODULE = path.join(__dirname, '../../shared/store/dynamoLocal.ts');

/** Whether something accepts connections on the port of 127.0.0.1. */
function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

it('stops DynamoDB Local when its parent is killed with SIGKILL', async () => {
  const parent = spawn(
    process.execPath,
    [
      '--require',
      'tsx/cjs',
      '-e',
      `require(${JSON.stringify(MODULE)}).startDynamoLocal().then((d) => { process.stdout.write(d.port + '\\n'); setInterval(() => {}, 1000); });`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    parent.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(Number(text.trim()));
    });
    parent.once('exit', (code) => reject(new Error(`the parent exited (${code}) before DynamoDB Local answered`)));
  });
  expect(await isListening(port)).toBe(true);
  parent.kill('SIGKILL');
  const deadline = Date.now() + 20_000;
  while ((await isListening(port)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  expect(await isListening(port)).toBe(false);
}, 120_000);
