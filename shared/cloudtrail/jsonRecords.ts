import { isRecord } from './accessors';

/**
 * One item split from a stream of JSON text: a record still to be parsed, or why a part of the text was skipped.
 * `reason` is a short stable category (for summaries), `error` the full message.
 */
export type TrailInput = { source: string; record: unknown } | { source: string; error: string; reason: string };

/** Why input was skipped before parsing, as short stable categories. */
export const READ_REASONS = {
  json: 'invalid JSON',
  utf8: 'invalid UTF-8',
  tooLarge: 'record too large',
  empty: 'empty file',
  notLogFile: 'log file Records is not an array',
} as const;

/** The most bytes one record (or one top-level document that is not a log file or array) may take. */
export const DEFAULT_MAX_RECORD_BYTES = 32 * 1024 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
const RECORDS_KEY = Buffer.from('Records');

/** What the splitter expects next. */
const Expect = {
  Top: 0,
  Value: 1,
  ValueOrEnd: 2,
  Key: 3,
  KeyOrEnd: 4,
  Colon: 5,
  CommaOrEnd: 6,
  /** After a syntax error: the rest of the line is skipped. */
  SkipLine: 7,
  /** After a skipped line in a document: lines are skipped until one starts (column 0) with `{` or `[`. */
  LineStart: 8,
} as const;
type Expect = (typeof Expect)[keyof typeof Expect];

const OBJECT = 1;
const ARRAY = 2;

interface Capture {
  parts: Buffer[];
  /** Where the capture starts in the current chunk, -1 once the chunk is stored in `parts`. */
  start: number;
  size: number;
  overflow: boolean;
  /** The value is complete when the container stack is back to this depth. */
  depth: number;
  source: string;
  /** The line the value starts on. */
  line: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits a stream of bytes holding CloudTrail input into records, chunk by chunk, holding at most one record in
 * memory. The text is a sequence of JSON values: one document (a record, an EventBridge event, a log file
 * `{"Records": [...]}`, an array of records) or JSON Lines (each line any of these). The elements of a log file's
 * `Records` or of an array are split one by one, so a log file of any size is never held whole.
 *
 * A bad part skips only itself: a record whose bytes are not UTF-8 or whose JSON.parse fails, a record over the
 * size limit. A syntax error that breaks the structure ends the value it is in; reading goes on at the next line
 * (JSON Lines) or, in a document, at the next line that starts a JSON value in its first column.
 *
 * Sources: `file` for a single document, `file#N` for the N-th record of a log file or array (from 1),
 * `file:LINE` for a value that starts on LINE of a file holding several, `file:LINE#N` for the records of a log
 * file on that line.
 */
export class JsonRecordSplitter {
  private expect: Expect = Expect.Top;
  private readonly stack: number[] = [];
  private inString = false;
  private escapePending = false;
  private inLiteral = false;
  private line = 1;
  private atLineStart = true;
  private firstChunk = true;
  /** Top-level values (or junk) started, and completed successfully. */
  private topStarted = 0;
  private topParsed = 0;
  private topLine = 1;
  private topPrefix = '';
  private capture: Capture | undefined;
  /** Depth of the container (log file Records or array) whose elements are split, 0 when none. */
  private containerDepth = 0;
  private elements = 0;
  /** Key bytes of the top-level object's current member, to recognise `Records`. */
  private keyParts: Buffer[] | undefined;
  private keyStart = -1;
  private lastKeyIsRecords = false;
  /** The items of the first value when it starts on line 1: their source depends on whether more values follow. */
  private pendingFirst: ((prefix: string) => TrailInput[]) | undefined;
  private anything = false;
  private out: TrailInput[] = [];

  constructor(
    private readonly file: string,
    private readonly maxRecordBytes = DEFAULT_MAX_RECORD_BYTES,
  ) {}

  /** Splits the next chunk; returns the items it completed. */
  push(chunk: Buffer): TrailInput[] {
    let i = 0;
    if (this.firstChunk) {
      this.firstChunk = false;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
    }
    const length = chunk.length;
    // Positions of the next backslash and line break, found once per chunk and refreshed when passed: searching
    // them again at every string would make long chunks quadratic.
    let nextBackslash = -1;
    let nextNewline = -1;
    if (this.capture) this.capture.start = 0;
    if (this.keyParts) this.keyStart = 0;
    while (i < length) {
      if (this.inString) {
        if (this.escapePending) {
          this.escapePending = false;
          i++;
          continue;
        }
        if (nextBackslash < i) nextBackslash = indexOrEnd(chunk, BACKSLASH, i);
        if (nextNewline < i) nextNewline = indexOrEnd(chunk, NEWLINE, i);
        const quote = indexOrEnd(chunk, QUOTE, i);
        const stop = Math.min(quote, nextBackslash, nextNewline);
        if (stop === length) {
          i = length;
          break;
        }
        this.atLineStart = false;
        if (stop === nextNewline) {
          this.fail(chunk, stop, 'a line break inside a string');
          i = stop;
          continue;
        }
        if (stop === nextBackslash) {
          if (stop + 1 >= length) this.escapePending = true;
          i = stop + 2;
          continue;
        }
        this.inString = false;
        this.endString(chunk, quote);
        i = quote + 1;
        continue;
      }
      const byte = chunk[i] as number;
      if (this.inLiteral) {
        if (isLiteralByte(byte)) {
          i++;
          continue;
        }
        this.inLiteral = false;
        this.valueEnded(chunk, i - 1);
        continue;
      }
      switch (this.expect) {
        case Expect.SkipLine: {
          const newline = chunk.indexOf(NEWLINE, i);
          if (newline === -1) {
            i = length;
            continue;
          }
          this.line++;
          this.atLineStart = true;
          // In JSON Lines every line is a record of its own; in a document, the next value starts in column 0.
          if (this.topParsed > 0) {
            this.release(this.line - 1);
            this.expect = Expect.Top;
          } else this.expect = Expect.LineStart;
          i = newline + 1;
          continue;
        }
        case Expect.LineStart:
          if (byte === NEWLINE) {
            this.line++;
            this.atLineStart = true;
            i++;
          } else if (this.atLineStart && (byte === LBRACE || byte === LBRACKET)) {
            this.release(this.line - 1);
            this.expect = Expect.Top;
          } else this.expect = Expect.SkipLine;
          continue;
      }
      if (byte === 0x20 || byte === 0x09 || byte === 0x0d || byte === NEWLINE) {
        if (byte === NEWLINE) {
          this.line++;
          this.atLineStart = true;
        } else this.atLineStart = false;
        i++;
        continue;
      }
      this.token(chunk, i, byte);
      if (this.resumeHere) {
        // fail() left the byte to be read again: it starts a new value in column 0.
        this.resumeHere = false;
        this.release(this.line);
        this.expect = Expect.Top;
        continue;
      }
      this.atLineStart = false;
      i++;
    }
    if (this.capture && this.capture.start >= 0) this.store(chunk.subarray(this.capture.start));
    if (this.keyParts && this.keyStart >= 0) this.keyParts.push(chunk.subarray(this.keyStart));
    return this.drain();
  }

  /**
   * Ends the input: reports a value left open and a file with nothing in it; returns the last items. `cutShort`
   * says the reader could not read on (its caller reports that): the value left open is part of that report.
   */
  end(cutShort = false): TrailInput[] {
    this.release(this.atLineStart ? this.line - 1 : this.line);
    if (cutShort) {
      this.flushPending(this.file);
      return this.drain();
    }
    if (this.inLiteral && this.stack.length === 0 && !this.inString) {
      this.inLiteral = false;
      const capture = this.capture;
      this.capture = undefined;
      this.finishTop(capture);
    } else if (this.inString || this.inLiteral || this.stack.length > 0) {
      this.fail(undefined, -1, 'the data ends inside a value (the file is cut short)');
      this.release(this.line);
    }
    this.flushPending(this.file);
    if (!this.anything) this.out.push({ source: this.file, error: 'empty file', reason: READ_REASONS.empty });
    return this.drain();
  }

  /** fail() found the offending byte starting a new value in column 0: it is read again as that value's start. */
  private resumeHere = false;
  private topIsLiteral = false;
  /** The error of the value a syntax error ended, held until reading resumes. */
  private held: { source: string; message: string; line: number; first: boolean } | undefined;

  /**
   * Emits the error of the value a syntax error ended, once reading has resumed (or the data ended): `lastLine` is
   * the last line skipped with it, named when the error took more lines than its own.
   */
  private release(lastLine: number): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    const error = {
      error: lastLine > held.line ? `${held.message}; lines ${held.line}-${lastLine} skipped` : held.message,
      reason: READ_REASONS.json,
    };
    if (held.first) this.pendingFirst = (prefix) => [{ source: prefix, ...error }];
    else this.out.push({ source: held.source, ...error });
  }

  private drain(): TrailInput[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  private token(chunk: Buffer, i: number, byte: number): void {
    switch (this.expect) {
      case Expect.Top:
        this.startTop(i);
        this.startValue(chunk, i, byte);
        return;
      case Expect.Value:
      case Expect.ValueOrEnd:
        if (byte === RBRACKET && this.expect === Expect.ValueOrEnd) {
          this.close(chunk, i, ARRAY);
          return;
        }
        this.startValue(chunk, i, byte);
        return;
      case Expect.Key:
      case Expect.KeyOrEnd:
        if (byte === RBRACE && this.expect === Expect.KeyOrEnd) {
          this.close(chunk, i, OBJECT);
          return;
        }
        if (byte !== QUOTE) {
          this.fail(chunk, i, `${describe(byte)} where a key was expected`);
          return;
        }
        this.inString = true;
        if (this.stack.length === 1 && this.containerDepth === 0) {
          this.keyParts = [];
          this.keyStart = i + 1;
        }
        this.expect = Expect.Colon;
        return;
      case Expect.Colon:
        if (byte !== COLON) {
          this.fail(chunk, i, `${describe(byte)} where ':' was expected`);
          return;
        }
        this.expect = Expect.Value;
        return;
      case Expect.CommaOrEnd: {
        const top = this.stack[this.stack.length - 1];
        if (byte === COMMA) this.expect = top === OBJECT ? Expect.Key : Expect.Value;
        else if (byte === RBRACE && top === OBJECT) this.close(chunk, i, OBJECT);
        else if (byte === RBRACKET && top === ARRAY) this.close(chunk, i, ARRAY);
        else
          this.fail(
            chunk,
            i,
            `${describe(byte)} where ',' or the end of ${top === OBJECT ? 'an object' : 'an array'} was expected`,
          );
        return;
      }
    }
  }

  private startTop(i: number): void {
    this.topStarted++;
    this.anything = true;
    if (this.topStarted === 2) this.flushPending(`${this.file}:1`);
    this.topLine = this.line;
    this.topPrefix = this.topStarted === 1 && this.line === 1 ? this.file : `${this.file}:${this.line}`;
    this.capture = { parts: [], start: i, size: 0, overflow: false, depth: 0, source: this.topPrefix, line: this.line };
  }

  private startValue(chunk: Buffer, i: number, byte: number): void {
    const depth = this.stack.length;
    if (this.containerDepth > 0 && depth === this.containerDepth && !this.capture) {
      this.elements++;
      this.capture = {
        parts: [],
        start: i,
        size: 0,
        overflow: false,
        depth,
        source: `${this.topPrefix}#${this.elements}`,
        line: this.line,
      };
    }
    if (byte === LBRACE) {
      this.stack.push(OBJECT);
      this.expect = Expect.KeyOrEnd;
    } else if (byte === LBRACKET) {
      // The elements of a top-level array, or of the top-level object's Records, are split one by one.
      if (this.containerDepth === 0 && (depth === 0 || (depth === 1 && this.lastKeyIsRecords))) {
        this.containerDepth = depth + 1;
        this.elements = 0;
        this.capture = undefined;
      }
      this.stack.push(ARRAY);
      this.expect = Expect.ValueOrEnd;
    } else if (byte === QUOTE) {
      this.inString = true;
    } else if (isLiteralByte(byte)) {
      this.inLiteral = true;
      if (depth === 0) this.topIsLiteral = true;
    } else {
      this.fail(chunk, i, `${describe(byte)} where a value was expected`);
    }
    if (depth === 1) this.lastKeyIsRecords = false;
  }

  private endString(chunk: Buffer, quote: number): void {
    if (this.expect === Expect.Colon) {
      // A key ended.
      if (this.keyParts) {
        this.keyParts.push(chunk.subarray(Math.max(this.keyStart, 0), quote));
        this.lastKeyIsRecords = Buffer.concat(this.keyParts).equals(RECORDS_KEY);
        this.keyParts = undefined;
        this.keyStart = -1;
      }
      return;
    }
    this.valueEnded(chunk, quote);
  }

  private close(chunk: Buffer, i: number, kind: number): void {
    this.stack.pop();
    if (kind === ARRAY && this.containerDepth > 0 && this.stack.length === this.containerDepth - 1) this.containerDepth = 0;
    this.valueEnded(chunk, i);
  }

  /** A value ended at byte `last` (inclusive) of the chunk. */
  private valueEnded(chunk: Buffer, last: number): void {
    const depth = this.stack.length;
    this.expect = depth === 0 ? Expect.Top : Expect.CommaOrEnd;
    const capture = this.capture;
    if (capture && depth === capture.depth) {
      this.store(chunk.subarray(capture.start, last + 1));
      capture.start = -1;
      this.capture = undefined;
      if (depth > 0) {
        const decoded = decode(capture, this.maxRecordBytes);
        this.out.push(
          'value' in decoded ? { source: capture.source, record: decoded.value } : { source: capture.source, ...decoded },
        );
      } else this.finishTop(capture);
      return;
    }
    if (depth === 0) this.finishTop(undefined);
  }

  private finishTop(capture: Capture | undefined): void {
    const isLiteral = this.topIsLiteral;
    this.topIsLiteral = false;
    if (!capture) {
      this.topParsed++;
      return;
    }
    const decoded = isLiteral ? decodeWord(capture) : decode(capture, this.maxRecordBytes);
    if ('value' in decoded) this.topParsed++;
    else if (isLiteral) {
      // A word that is not JSON (junk text) ends its line, like a syntax error: the next words are not values.
      this.held = {
        source: capture.source,
        message: decoded.error,
        line: capture.line,
        first: this.topStarted === 1 && this.topLine === 1,
      };
      this.expect = Expect.SkipLine;
      return;
    }
    const items = (prefix: string): TrailInput[] =>
      'value' in decoded ? [...expandDocument(prefix, decoded.value)] : [{ source: prefix, ...decoded }];
    if (this.topStarted === 1 && this.topLine === 1) this.pendingFirst = items;
    else this.out.push(...items(capture.source));
  }

  private flushPending(prefix: string): void {
    if (!this.pendingFirst) return;
    this.out.push(...this.pendingFirst(prefix));
    this.pendingFirst = undefined;
  }

  private store(part: Buffer): void {
    const capture = this.capture;
    if (!capture) return;
    capture.size += part.length;
    if (capture.overflow) return;
    if (capture.size > this.maxRecordBytes) {
      capture.overflow = true;
      capture.parts = [];
      return;
    }
    capture.parts.push(part);
  }

  /**
   * A syntax error at byte `i` (or at the end of the data): the value it is in is reported and dropped, and reading
   * resumes after the line (JSON Lines) or at the next line that starts a value in column 0 (a document).
   */
  private fail(chunk: Buffer | undefined, i: number, what: string): void {
    const source = this.capture?.source ?? this.topPrefix;
    const startedOnThisLine = this.topLine === this.line;
    this.held = {
      source,
      message: `invalid JSON at line ${this.line}: ${what}`,
      line: this.line,
      first: this.topStarted === 1 && this.topLine === 1 && this.containerDepth === 0 && !this.capture?.depth,
    };
    this.stack.length = 0;
    this.capture = undefined;
    this.containerDepth = 0;
    this.keyParts = undefined;
    this.lastKeyIsRecords = false;
    this.inString = false;
    this.escapePending = false;
    this.inLiteral = false;
    this.topIsLiteral = false;
    this.expect = Expect.SkipLine;
    const byte = chunk && i >= 0 ? chunk[i] : undefined;
    // A value cut short by the next line's record (JSON Lines without the end of a line): read that record.
    if (this.atLineStart && !startedOnThisLine && (byte === LBRACE || byte === LBRACKET)) this.resumeHere = true;
  }
}

function decode(capture: Capture, max: number): { value: unknown } | { error: string; reason: string } {
  if (capture.overflow)
    return { error: `a record of ${capture.size} bytes, more than the ${max} a record may take`, reason: READ_REASONS.tooLarge };
  let text: string;
  try {
    text = utf8.decode(capture.parts.length === 1 ? capture.parts[0] : Buffer.concat(capture.parts));
  } catch {
    return { error: 'invalid UTF-8', reason: READ_REASONS.utf8 };
  }
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { error: `invalid JSON: ${messageOf(error)}`, reason: READ_REASONS.json };
  }
}

const JSON_WORD = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)$/;

/** A bare word at the top level: a JSON scalar, or junk text (told apart without a JSON.parse exception per word). */
function decodeWord(capture: Capture): { value: unknown } | { error: string; reason: string } {
  const first = capture.parts[0]?.[0];
  // Only t(rue), f(alse), n(ull), a digit or a minus can start a JSON word: junk is told at its first byte.
  const maybe =
    first === 0x74 ||
    first === 0x66 ||
    first === 0x6e ||
    first === 0x2d ||
    (first !== undefined && first >= 0x30 && first <= 0x39);
  const word = capture.overflow || !maybe ? '' : Buffer.concat(capture.parts).toString('latin1');
  if (JSON_WORD.test(word)) return { value: JSON.parse(word) };
  return { error: `invalid JSON at line ${capture.line}: text that is not JSON`, reason: READ_REASONS.json };
}

/** The records of one complete top-level value: a log file's or an array's elements, or the value itself. */
function* expandDocument(source: string, value: unknown): Generator<TrailInput> {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield { source: `${source}#${i + 1}`, record: value[i] };
    return;
  }
  if (isRecord(value) && Object.hasOwn(value, 'Records')) {
    const records = value.Records;
    if (!Array.isArray(records)) {
      yield { source, error: READ_REASONS.notLogFile, reason: READ_REASONS.notLogFile };
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

function indexOrEnd(chunk: Buffer, byte: number, from: number): number {
  const at = chunk.indexOf(byte, from);
  return at === -1 ? chunk.length : at;
}

/** Bytes of numbers and of true/false/null (and of junk words, which JSON.parse then refuses). */
function isLiteralByte(byte: number): boolean {
  return (
    (byte >= 0x30 && byte <= 0x39) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    (byte >= 0x41 && byte <= 0x5a) ||
    byte === 0x2d ||
    byte === 0x2b ||
    byte === 0x2e
  );
}

function describe(byte: number): string {
  if (byte >= 0x21 && byte <= 0x7e) return `'${String.fromCharCode(byte)}'`;
  return `byte 0x${byte.toString(16).padStart(2, '0')}`;
}

function messageOf(error: unknown): string {
  // Not `instanceof Error`: errors from another realm (vm contexts, test runners) would fail it.
  return isRecord(error) && typeof error.message === 'string' ? error.message : String(error);
}
