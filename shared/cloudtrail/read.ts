import { createReadStream } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { InvalidEventError, ValidationError } from '../errors';
import { isRecord } from './accessors';
import { DEFAULT_MAX_RECORD_BYTES, JsonRecordSplitter, type TrailInput } from './jsonRecords';
import { compareTrailEvents } from './order';
import { parseTrailRecord } from './parse';
import type { TrailEvent } from './types';

export { READ_REASONS, type TrailInput } from './jsonRecords';

/** A record, a part of a file or a whole file that was dropped, as {@link collectTrailEvents} reports it. */
export interface TrailReadError {
  source: string;
  message: string;
  /**
   * A short stable category (`invalid JSON`, `invalid UTF-8`, `file read incompletely`...), for summaries; the
   * reader always sets it, other callers may leave it out (`invalid record`).
   */
  reason?: string;
  /** The record's eventID, when the record was read but is not a usable event. */
  eventId?: string;
}

/** Why a whole file, or its end, could not be read. */
export const FILE_REASONS = {
  unreadable: 'file cannot be read',
  incomplete: 'file read incompletely',
  directory: 'directory cannot be read',
} as const;

/** What reading one file came to; final once its records have all been iterated. */
export interface TrailFileReport {
  file: string;
  /** The file's size on disk when it was opened (0 when it could not be opened). */
  size: number;
  /** Bytes read from disk. */
  bytesRead: number;
  /** Bytes of JSON text read (after decompression). */
  textBytes: number;
  /** Records handed on (valid JSON; the CloudTrail parser may still refuse them). */
  records: number;
  /** Items that were skipped: bad lines, bad records, and the file's own problems. */
  skipped: number;
  /** Why the file was not read to its end; undefined when it was. */
  incomplete?: string;
}

/**
 * One file's records, one at a time (or, cheaper for many small items, one chunk's worth at a time with
 * `batches()`); `report` is complete when iteration ends. Each iteration reads the file anew.
 */
export interface TrailFileReader extends AsyncIterable<TrailInput> {
  readonly report: TrailFileReport;
  batches(): AsyncIterable<TrailInput[]>;
}

/** Limits of the reader; tests lower them. */
export interface ReadOptions {
  /** The most bytes a single record may take (default 32 MiB); a larger one is skipped. */
  maxRecordBytes?: number;
  /** Bytes read from disk at a time (default 1 MiB). */
  chunkBytes?: number;
}

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
 * Reads CloudTrail input for the CLI, record by record, in a stable order: every file of {@link listTrailFiles},
 * each through {@link openTrailFile}. Memory stays bounded by one record and one read chunk, whatever the sizes.
 *
 * @throws ValidationError before yielding anything when a path does not exist or cannot be accessed.
 */
export async function* readTrailInputs(paths: string[], options: ReadOptions = {}): AsyncGenerator<TrailInput> {
  for await (const batch of readTrailBatches(paths, options)) yield* batch;
}

/** {@link readTrailInputs} a read chunk's worth at a time. */
export async function* readTrailBatches(paths: string[], options: ReadOptions = {}): AsyncGenerator<TrailInput[]> {
  for await (const entry of listTrailFiles(paths)) {
    if (typeof entry === 'string') yield* openTrailFile(entry, options).batches();
    else yield [entry];
  }
}

/**
 * The files to read under the given paths, in a stable order: a file named is always read; directories are walked
 * recursively in sorted order, skipping hidden entries and files that are clearly not JSON (.md, .txt, ...). A
 * directory that cannot be read is yielded as an error item and the walk goes on.
 *
 * @throws ValidationError before yielding anything when a path does not exist or cannot be accessed.
 */
export async function* listTrailFiles(paths: string[]): AsyncGenerator<string | Extract<TrailInput, { error: string }>> {
  const roots: { path: string; isDirectory: boolean }[] = [];
  for (const path of paths) roots.push({ path, isDirectory: (await statInput(path)).isDirectory() });
  const visited = new Set<string>();
  for (const root of roots) {
    if (root.isDirectory) yield* readDirectory(root.path, visited);
    else yield root.path;
  }
}

/**
 * Opens one CloudTrail file for reading record by record, in any form {@link JsonRecordSplitter} splits (gzipped
 * or not: detected by content, not by name). It is read as a stream with a bounded buffer; what cannot be read
 * skips only itself and is yielded as an error item. A file whose end cannot be read (cut-short gzip data, a read
 * error) keeps every record read before, and yields one `file read incompletely` item saying how much was read.
 * Never throws.
 */
export function openTrailFile(file: string, options: ReadOptions = {}): TrailFileReader {
  const report: TrailFileReport = { file, size: 0, bytesRead: 0, textBytes: 0, records: 0, skipped: 0 };
  const batches = () => readFileBatches(file, report, options);
  return {
    report,
    batches,
    async *[Symbol.asyncIterator]() {
      for await (const batch of batches()) yield* batch;
    },
  };
}

/** The items of one file, a read chunk's worth at a time (one async step per chunk, not per item). */
async function* readFileBatches(file: string, report: TrailFileReport, options: ReadOptions): AsyncGenerator<TrailInput[]> {
  // Each iteration reads the file anew, and reports anew.
  Object.assign(report, { size: 0, bytesRead: 0, textBytes: 0, records: 0, skipped: 0 });
  delete report.incomplete;
  const counted = (items: TrailInput[]): TrailInput[] => {
    for (const item of items) {
      if ('error' in item) report.skipped += 1;
      else report.records += 1;
    }
    return items;
  };
  let isGzip: boolean;
  try {
    const handle = await open(file, 'r');
    try {
      report.size = (await handle.stat()).size;
      const magic = Buffer.alloc(2);
      const { bytesRead } = await handle.read(magic, 0, 2, 0);
      isGzip = bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
    } finally {
      await handle.close();
    }
  } catch (error) {
    yield counted([{ source: file, error: `cannot read file: ${messageOf(error)}`, reason: FILE_REASONS.unreadable }]);
    return;
  }
  const splitter = new JsonRecordSplitter(file, options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES);
  const disk = createReadStream(file, { highWaterMark: options.chunkBytes ?? 1024 * 1024 });
  disk.on('data', (chunk) => {
    report.bytesRead += chunk.length;
  });
  let text: AsyncIterable<Buffer> = disk;
  if (isGzip) {
    const gunzip = createGunzip();
    disk.on('error', (error) => gunzip.destroy(error));
    text = disk.pipe(gunzip);
  }
  let failure: unknown;
  try {
    for await (const chunk of text) {
      report.textBytes += chunk.length;
      const items = splitter.push(chunk);
      if (items.length > 0) yield counted(items);
    }
  } catch (error) {
    failure = error;
  } finally {
    disk.destroy();
  }
  yield counted(splitter.end(failure !== undefined));
  if (failure !== undefined) {
    report.incomplete = `${isGzip ? 'cannot decompress gzip data' : 'cannot read file'}: ${messageOf(failure)}`;
    yield counted([
      {
        source: file,
        error: `${report.incomplete}; read ${report.bytesRead} of ${report.size} bytes${
          isGzip ? ` (${report.textBytes} bytes decompressed)` : ''
        }; the ${report.records} records before are kept, the rest of the file is not read`,
        reason: FILE_REASONS.incomplete,
      },
    ]);
  }
}

/**
 * Reads every input and parses every record (or, with `keep`, every record it keeps: a replay drops calls
 * nothing watches before parsing them). Unreadable files, lines and invalid records are reported through `onError`
 * (never thrown) and dropped. The events come back sorted by eventTime (events without a readable time first),
 * within a second in causal order (creation first, deletion last), then by eventID, otherwise in reading order: the CLI replays them in that order. Duplicates are kept: the
 * engine, not the reader, makes redelivery a no-op.
 *
 * @throws ValidationError when a path does not exist or cannot be accessed.
 */
export async function collectTrailEvents(
  paths: string[],
  onError: (error: TrailReadError) => void,
  options: { keep?: (record: unknown) => boolean } & ReadOptions = {},
): Promise<TrailEvent[]> {
  const events: TrailEvent[] = [];
  for await (const batch of readTrailBatches(paths, options)) {
    for (const input of batch) {
      const event = parseInput(input, onError, options.keep);
      if (event) events.push(event);
    }
  }
  // Array.prototype.sort is stable, so equal times and ids keep reading order.
  return events.sort(compareTrailEvents);
}

/**
 * One read item as an event: undefined when it is an error (reported), a record `keep` drops, or a record the
 * CloudTrail parser refuses (reported with its eventID when it has one, reason `invalid record` or the parser's).
 */
export function parseInput(
  input: TrailInput,
  onError: (error: TrailReadError) => void,
  keep?: (record: unknown) => boolean,
): TrailEvent | undefined {
  if ('error' in input) {
    onError({ source: input.source, message: input.error, reason: input.reason });
    return undefined;
  }
  if (keep && !keep(input.record)) return undefined;
  try {
    return parseTrailRecord(input.record);
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    const reason = error.reason ?? 'invalid record';
    onError(
      error.eventId === undefined
        ? { source: input.source, message: error.message, reason }
        : { source: input.source, message: error.message, reason, eventId: error.eventId },
    );
    return undefined;
  }
}

/** Splits the text of one input (as {@link openTrailFile} splits a file's). Never throws. */
export function* readTrailText(source: string, text: string): Generator<TrailInput> {
  const splitter = new JsonRecordSplitter(source);
  yield* splitter.push(Buffer.from(text, 'utf8'));
  yield* splitter.end();
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

async function* readDirectory(
  directory: string,
  visited: Set<string>,
): AsyncGenerator<string | Extract<TrailInput, { error: string }>> {
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
    yield { source: directory, error: `cannot read directory: ${messageOf(error)}`, reason: FILE_REASONS.directory };
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.isDirectory) yield* readDirectory(entry.path, visited);
    else yield entry.path;
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
