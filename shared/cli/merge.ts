import { compareTrailEvents } from '../cloudtrail/order';
import type { TrailEvent } from '../cloudtrail/types';

/**
 * Replays any number of CloudTrail files in eventTime order with memory bounded by a window, not by the input.
 *
 * CloudTrail delivers a trail as many small files, per Region, every few minutes; each file holds events from
 * shortly before it was delivered, roughly in time order, and its name says when it was delivered
 * (`<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz`). So a k-way merge over the files, opening
 * each only when the replay reaches its time and holding back each event until nothing still unread can come
 * before it, gives eventTime order while keeping only about one window of events in memory. The window bounds
 * how far out of order the input may be: every file is assumed to hold no event older than `windowMs` before
 * the newest event read from it so far (or, before its first, before its delivery time). An event that breaks
 * that assumption is still evaluated, when it is read, after newer events: it arrived late, and the engine's
 * late-event path gives the findings in-order arrival would have given, at a higher cost.
 */

/** One input file: where its events start, as far as is known before reading it. */
export interface MergeFile {
  file: string;
  /** No event of the file is expected before this time (epoch ms); -Infinity when nothing is known. */
  from: number;
}

/** What the merge did, for the summary and the progress line. */
export interface MergeStats {
  files: number;
  filesOpened: number;
  /** Events read later than the window allowed: evaluated out of order, through the late-event path. */
  late: number;
  /** Most events held back at once (the window's memory). */
  heldBack: number;
}

/** The default window: CloudTrail delivers an event within about 5 minutes of the call, typically within 15. */
export const DEFAULT_WINDOW_MINUTES = 15;

const DELIVERED = /_CloudTrail_[a-z0-9-]+_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^/\\]*$/;

/** The delivery time a CloudTrail log file's name states, in epoch ms; undefined for any other name. */
export function deliveryTime(file: string): number | undefined {
  const match = DELIVERED.exec(file);
  if (!match) return undefined;
  const [, year, month, day, hour, minute] = match;
  const at = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute));
  // Date.UTC rolls a 13th month or a 61st minute over; a real delivery time reads back the same.
  const iso = new Date(at).toISOString();
  return iso.slice(0, 16) === `${year}-${month}-${day}T${hour}:${minute}` ? at : undefined;
}

/**
 * Merges the events of files (each iterated by `open`) into one stream in {@link compareTrailEvents} order.
 * Files are opened in order of `from`, and only when the merge needs them; `stats` is updated as it goes.
 */
export async function* mergeByTime(
  files: readonly MergeFile[],
  open: (file: string) => AsyncIterable<TrailEvent>,
  options: { windowMs: number; stats?: MergeStats },
): AsyncGenerator<TrailEvent> {
  const { windowMs } = options;
  const stats = options.stats ?? { files: 0, filesOpened: 0, late: 0, heldBack: 0 };
  stats.files = files.length;
  const pending = [...files].sort((a, b) => a.from - b.from);
  let nextFile = 0;
  const held = new Heap<Held>(compareHeld);
  const reading = new Heap<Reader>((a, b) => a.bound - b.bound || a.order - b.order);
  let sequence = 0;
  let newest = Number.NEGATIVE_INFINITY;

  for (;;) {
    const nextFrom = nextFile < pending.length ? (pending[nextFile] as MergeFile).from : Number.POSITIVE_INFINITY;
    const readerBound = reading.peek()?.bound ?? Number.POSITIVE_INFINITY;
    // Nothing unread is expected before this time: an event held back that is older can go.
    const frontier = Math.min(nextFrom, readerBound);
    const first = held.peek();
    if (first && (first.event.time < frontier || frontier === Number.POSITIVE_INFINITY)) {
      held.pop();
      if (first.event.time < newest) stats.late += 1;
      else newest = first.event.time;
      yield first.event;
      continue;
    }
    if (frontier === Number.POSITIVE_INFINITY) return;
    if (nextFrom <= readerBound) {
      const file = pending[nextFile] as MergeFile;
      nextFile += 1;
      stats.filesOpened += 1;
      reading.push({ iterator: open(file.file)[Symbol.asyncIterator](), bound: Number.NEGATIVE_INFINITY, order: nextFile });
      continue;
    }
    // The reader holding the frontier back reads on.
    const reader = reading.pop() as Reader;
    const next = await reader.iterator.next();
    if (next.done) continue;
    const event = next.value;
    held.push({ event, sequence: sequence++ });
    if (held.size > stats.heldBack) stats.heldBack = held.size;
    reader.bound = Math.max(reader.bound, event.time - windowMs);
    reading.push(reader);
  }
}

interface Held {
  event: TrailEvent;
  /** Reading order: equal events keep it. */
  sequence: number;
}

interface Reader {
  iterator: AsyncIterator<TrailEvent>;
  /** No later event of this file is expected before this time. */
  bound: number;
  order: number;
}

function compareHeld(a: Held, b: Held): number {
  return compareTrailEvents(a.event, b.event) || a.sequence - b.sequence;
}

/** A binary min-heap. */
export class Heap<T> {
  private readonly items: T[] = [];

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(items[i] as T, items[parent] as T) >= 0) break;
      [items[i], items[parent]] = [items[parent] as T, items[i] as T];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < items.length && this.compare(items[left] as T, items[smallest] as T) < 0) smallest = left;
      if (right < items.length && this.compare(items[right] as T, items[smallest] as T) < 0) smallest = right;
      if (smallest === i) break;
      [items[i], items[smallest]] = [items[smallest] as T, items[i] as T];
      i = smallest;
    }
    return top;
  }
}
