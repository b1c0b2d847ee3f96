/** A progress line on stderr for long replays; silent when stderr is not a terminal (logs, pipes, CI). */
export function createProgress(total: number, label: string, stream: NodeJS.WriteStream = process.stderr) {
  const enabled = stream.isTTY === true && total >= 1_000;
  const step = Math.max(1, Math.floor(total / 200));
  let done = 0;
  return {
    tick(): void {
      done += 1;
      if (enabled && (done % step === 0 || done === total))
        stream.write(`\r${label}: ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}`);
    },
    finish(): void {
      if (enabled) stream.write('\n');
    },
  };
}
