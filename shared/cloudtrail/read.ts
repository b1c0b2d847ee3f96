import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { InvalidEventError, ValidationError } from '../errors';
import { isRecord } from './accessors';
import { compareTrailEvents } from './order';
import { parseTrailRecord } from './parse';
import type { TrailEvent } from './types';

/**
 * One item read from the inputs: a record still to be parsed, or the reason a file (or a JSON Lines line) could
 * not be read. `source` is `file`, `file#N` for the N-th record of a log file or array (from 1), `file:LINE` for a
 * JSON Lines line (from 1), `file:LINE#N` for the N-th record of a log file on that line.
 */
export type TrailInput = { source: string; record: unknown } | { source: string; error: string };

/** A record or file that was dropped, as {@link collectTrailEvents} reports it. */
export interface TrailReadError {
  source: string;
  message: string;
  /** The record's eventID, when the record was read but is not a usable event. */
  eventId?: string;
}

const gunzipAsync = promisify(gunzip);

// Directory entries that cannot be CloudTrail input; a file named on the command line is always read.
const NOT_JSON_EXTENSIONS = new Set([
  '.md',
  '.txt',
  '.csv',
  '.tsv',
  '.yml',
  '.yaml',
  '.xml',
  '.html',
  '.htm',
  '.js',
  '.cjs',
  '.mjs',
  '.ts',
  '.py',
  '.sh',
  '.zip',
  '.tar',
  '.pdf',
  '.png',
  '.jpg',
  '.jpeg',
  '.gif',
  '.svg',
]);

/**
 * Reads CloudTrail input for the CLI, record by record, in a stable order. Accepts files holding a single record,
 * an EventBridge event, a CloudTrail log file `{"Records": [...]}`, a JSON array of records, or JSON Lines (each
 * line any of these), gzipped or not (detected by content, not by name). Directories are walked recursively in
 * sorted order, skipping hidden entries and files that are clearly not JSON (.md, .txt, ...). CloudTrail digest
 * files (written beside log files in the trail's bucket) are skipped.
 *
 * A file that cannot be read, decompressed, decoded or parsed yields one error item and reading goes on; in JSON
 * Lines every bad line yields its own error item.
 *
 * @throws ValidationError before yielding anything when a path does not exist or cannot be accessed.
 */
export async function* readTrailInputs(paths: string[]): AsyncGenerator<TrailInput> {
  const roots: { path: string; isDirectory: boolean }[] = [];
  for (const path of paths) roots.push({ path, isDirectory: (await statInput(path)).isDirectory() });
  const visited = new Set<string>();
  for (const root of roots) {
    if (root.isDirectory) yield* readDirectory(root.path, visited);
    else yield* readTrailFile(root.path);
  }
}

/**
 * Reads every input and parses every record (or, with `keep`, every record it keeps: a replay drops calls
 * nothing watches before parsing them). Unreadable files and invalid records are reported through `onError`
 * (never thrown) and dropped. The events come back sorted by eventTime (events without a readable time first),
 * within a second in causal order (creation first, deletion last), then by eventID, otherwise in reading order: the CLI replays them in that order. Duplicates are kept: the
 * engine, not the reader, makes redelivery a no-op.
 *
 * @throws ValidationError when a path does not exist or cannot be accessed.
 */
export async function collectTrailEvents(
  paths: string[],
  onError: (error: TrailReadError) => void,
  options: { keep?: (record: unknown) => boolean } = {},
): Promise<TrailEvent[]> {
  const events: TrailEvent[] = [];
  for await (const input of readTrailInputs(paths)) {
    if ('error' in input) {
      onError({ source: input.source, message: input.error });
      continue;
    }
    if (options.keep && !options.keep(input.record)) continue;
    let event: TrailEvent;
    try {
      event = parseTrailRecord(input.record);
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      onError(
        error.eventId === undefined
          ? { source: input.source, message: error.message }
          : { source: input.source, message: error.message, eventId: error.eventId },
      );
      continue;
    }
    events.push(event);
  }
  // Array.prototype.sort is stable, so equal times and ids keep reading order.
  return events.sort(compareTrailEvents);
}

/**
 * Splits the text of one input file into records: JSON (a record, an EventBridge event, a log file, an array) or,
 * when the whole text is not JSON but its lines are, JSON Lines. Never throws.
 */
export function* readTrailText(source: string, text: string): Generator<TrailInput> {
  if (text.trim() === '') {
    yield { source, error: 'empty file' };
    return;
  }
  const whole = tryParseJson(text);
  if (whole.ok) {
    yield* expandDocument(source, whole.value);
    return;
  }
  // A truncated or broken single document must be one error, not one per line of its pretty-printed text:
  // it is JSON Lines only when some line holds a whole, non-empty object by itself.
  if (!hasJsonLine(text)) {
    yield { source, error: `invalid JSON: ${whole.error}` };
    return;
  }
  let lineNumber = 0;
  for (const line of text.split('\n')) {
    lineNumber++;
    if (line.trim() === '') continue;
    const parsed = tryParseJson(line);
    if (parsed.ok) yield* expandDocument(`${source}:${lineNumber}`, parsed.value);
    else yield { source: `${source}:${lineNumber}`, error: `invalid JSON: ${parsed.error}` };
  }
}

async function statInput(path: string) {
  try {
    return await stat(path);
  } catch (error) {
    const code = isRecord(error) && typeof error.code === 'string' ? error.code : undefined;
    throw new ValidationError(
      path,
      code === 'ENOENT' ? 'no such file or directory' : `cannot be accessed (${code ?? String(error)})`,
    );
  }
}

async function* readDirectory(directory: string, visited: Set<string>): AsyncGenerator<TrailInput> {
  let entries: { name: string; path: string; isDirectory: boolean }[];
  try {
    // Symbolic links may point back up the tree: every directory is walked once.
    const real = await realpath(directory);
    if (visited.has(real)) return;
    visited.add(real);
    const dirents = await readdir(directory, { withFileTypes: true });
    entries = [];
    for (const dirent of dirents) {
      if (dirent.name.startsWith('.')) continue;
      const path = join(directory, dirent.name);
      let isDirectory = dirent.isDirectory();
      if (dirent.isSymbolicLink()) {
        try {
          isDirectory = (await stat(path)).isDirectory();
        } catch {
          // A dangling link is reported when it is read as a file.
        }
      }
      if (!isDirectory && NOT_JSON_EXTENSIONS.has(extensionOf(dirent.name))) continue;
      entries.push({ name: dirent.name, path, isDirectory });
    }
  } catch (error) {
    yield { source: directory, error: `cannot read directory: ${messageOf(error)}` };
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.isDirectory) yield* readDirectory(entry.path, visited);
    else yield* readTrailFile(entry.path);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

async function* readTrailFile(file: string): AsyncGenerator<TrailInput> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    yield { source: file, error: `cannot read file: ${messageOf(error)}` };
    return;
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (error) {
      yield { source: file, error: `cannot decompress gzip data: ${messageOf(error)}` };
      return;
    }
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    yield { source: file, error: 'invalid UTF-8' };
    return;
  }
  yield* readTrailText(file, text);
}

function* expandDocument(source: string, value: unknown): Generator<TrailInput> {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield { source: `${source}#${i + 1}`, record: value[i] };
    return;
  }
  if (isRecord(value) && Object.hasOwn(value, 'Records')) {
    const records = value.Records;
    if (!Array.isArray(records)) {
      yield { source, error: 'log file Records is not an array' };
      return;
    }
    for (let i = 0; i < records.length; i++) yield { source: `${source}#${i + 1}`, record: records[i] };
    return;
  }
  if (isDigestFile(value)) return;
  yield { source, record: value };
}

/** CloudTrail log file integrity digests sit beside the log files in the trail's bucket; they hold no events. */
function isDigestFile(value: unknown): boolean {
  return isRecord(value) && typeof value.digestStartTime === 'string' && Array.isArray(value.logFiles);
}

function hasJsonLine(text: string): boolean {
  for (const line of text.split('\n')) {
    if (!line.trimStart().startsWith('{')) continue;
    const parsed = tryParseJson(line);
    if (parsed.ok && isRecord(parsed.value) && Object.keys(parsed.value).length > 0) return true;
  }
  return false;
}

function tryParseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: messageOf(error) };
  }
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot).toLowerCase();
}

function messageOf(error: unknown): string {
  // Not `instanceof Error`: errors from another realm (vm contexts, test runners) would fail it.
  return isRecord(error) && typeof error.message === 'string' ? error.message : String(error);
}
