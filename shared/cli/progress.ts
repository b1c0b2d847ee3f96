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

/**
 * The progress line of a replay that reads files as it goes (stderr, only on a terminal): files read of all,
 * events, events per second, and the time left estimated from the files still to read.
 */
export function createReplayProgress(
  files: { files: number; filesOpened: number },
  stream: NodeJS.WriteStream = process.stderr,
  now: () => number = () => performance.now(),
) {
  const enabled = stream.isTTY === true;
  const start = now();
  let events = 0;
  let shownAt = start;
  let shown = false;
  const n = (value: number) => Math.round(value).toLocaleString('en-US');
  return {
    tick(): void {
      events += 1;
      if (!enabled || (events & 1023) !== 0) return;
      const at = now();
      if (at - shownAt < 250) return;
      shownAt = at;
      shown = true;
      const seconds = (at - start) / 1000;
      const done = Math.max(1, files.filesOpened);
      const left = files.files > done ? (seconds / done) * (files.files - done) : 0;
      stream.write(
        `\rfiles ${n(files.filesOpened)}/${n(files.files)}, ${n(events)} events, ${n(events / Math.max(seconds, 0.001))} events/s, ETA ${formatDuration(left)}   `,
      );
    },
    finish(): void {
      if (shown) stream.write('\n');
    },
  };
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.ceil(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.ceil((seconds % 3600) / 60)} min`;
}
