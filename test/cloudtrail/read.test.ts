import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { JsonRecordSplitter } from '../../shared/cloudtrail/jsonRecords';
import {
  collectTrailEvents,
  openTrailFile,
  readTrailInputs,
  readTrailText,
  type TrailInput,
  type TrailReadError,
} from '../../shared/cloudtrail/read';
import { ValidationError } from '../../shared/errors';

function record(eventID: string, eventTime = '2024-01-15T10:30:00Z', eventName = 'CreateRole'): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    eventID,
    eventName,
    eventSource: 'iam.amazonaws.com',
    eventTime,
    awsRegion: 'us-east-1',
    recipientAccountId: '123456789012',
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/alice', accountId: '123456789012' },
    requestParameters: { roleName: `role-${eventID}` },
  };
}

function envelope(detail: unknown): Record<string, unknown> {
  return { version: '0', id: 'eb-1', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.iam', detail };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rolewatch-cloudtrail-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes a file under the temp dir (creating folders) and returns its path. */
function put(name: string, content: string | Uint8Array): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

async function readAll(paths: string[]): Promise<TrailInput[]> {
  const items: TrailInput[] = [];
  for await (const item of readTrailInputs(paths)) items.push(item);
  return items;
}

/** `source → eventID` for records, `source → !error` for errors: one readable line per item. */
function summary(items: TrailInput[]): string[] {
  return items.map((item) => {
    const source = path.relative(dir, item.source);
    if ('error' in item) return `${source} !${item.error}`;
    const value = item.record as { eventID?: unknown; detail?: { eventID?: unknown } } | null;
    return `${source} ${String(value?.eventID ?? value?.detail?.eventID ?? JSON.stringify(value))}`;
  });
}

describe('readTrailInputs: input forms', () => {
  it('reads a file holding one record', async () => {
    const file = put('one.json', JSON.stringify(record('a'), null, 2));
    expect(await readAll([file])).toEqual([{ source: file, record: record('a') }]);
  });

  it('reads a file holding one EventBridge event as it is, for the parser to unwrap', async () => {
    const file = put('eb.json', JSON.stringify(envelope(record('a'))));
    expect(await readAll([file])).toEqual([{ source: file, record: envelope(record('a')) }]);
  });

  it('reads every record of a CloudTrail log file, numbered from 1', async () => {
    const file = put('log.json', JSON.stringify({ Records: [record('a'), record('b')] }));
    expect(summary(await readAll([file]))).toEqual(['log.json#1 a', 'log.json#2 b']);
  });

  it('reads every element of a JSON array of records', async () => {
    const file = put('array.json', JSON.stringify([record('a'), envelope(record('b'))]));
    expect(summary(await readAll([file]))).toEqual(['array.json#1 a', 'array.json#2 b']);
  });

  it('reads JSON Lines of records, EventBridge events and log files, skipping blank lines and CR', async () => {
    const lines = [
      JSON.stringify(record('a')),
      JSON.stringify(envelope(record('b'))),
      JSON.stringify({ Records: [record('c'), record('d')] }),
      '',
      `${JSON.stringify(record('e'))}\r`,
      '',
    ];
    const file = put('events.jsonl', lines.join('\n'));
    expect(summary(await readAll([file]))).toEqual([
      'events.jsonl:1 a',
      'events.jsonl:2 b',
      'events.jsonl:3#1 c',
      'events.jsonl:3#2 d',
      'events.jsonl:5 e',
    ]);
  });

  it('reports each bad JSON Lines line on its own and goes on with the rest', async () => {
    const lines = [JSON.stringify(record('a')), '{"eventID": "broken', 'not json at all', JSON.stringify(record('d'))];
    const file = put('events.jsonl', lines.join('\n'));
    const items = summary(await readAll([file]));
    expect(items).toHaveLength(4);
    expect(items[0]).toBe('events.jsonl:1 a');
    expect(items[1]).toBe('events.jsonl:2 !invalid JSON at line 2: a line break inside a string');
    expect(items[2]).toBe('events.jsonl:3 !invalid JSON at line 3: text that is not JSON');
    expect(items[3]).toBe('events.jsonl:4 d');
  });

  it('reports a JSON Lines file cut in the middle of its last line at that line', async () => {
    const full = [record('a'), record('b'), record('c')].map((r) => JSON.stringify(r)).join('\n');
    const file = put('cut.jsonl', full.slice(0, -20));
    const items = summary(await readAll([file]));
    expect(items.slice(0, 2)).toEqual(['cut.jsonl:1 a', 'cut.jsonl:2 b']);
    expect(items[2]).toMatch(/^cut\.jsonl:3 !invalid JSON/);
  });

  it('decompresses a gzipped log file', async () => {
    const file = put('log.json.gz', gzipSync(JSON.stringify({ Records: [record('a'), record('b')] })));
    expect(summary(await readAll([file]))).toEqual(['log.json.gz#1 a', 'log.json.gz#2 b']);
  });

  it('decompresses gzipped JSON Lines', async () => {
    const file = put('events.jsonl.gz', gzipSync([record('a'), record('b')].map((r) => JSON.stringify(r)).join('\n')));
    expect(summary(await readAll([file]))).toEqual(['events.jsonl.gz:1 a', 'events.jsonl.gz:2 b']);
  });

  it('detects gzip by its magic bytes, not by the file name', async () => {
    const disguised = put('really-gzip.json', gzipSync(JSON.stringify(record('a'))));
    const plain = put('not-gzip.json.gz', JSON.stringify(record('b')));
    expect(summary(await readAll([disguised, plain]))).toEqual(['really-gzip.json a', 'not-gzip.json.gz b']);
  });

  it('reads a file that starts with a UTF-8 byte order mark', async () => {
    const file = put('bom.json', `\uFEFF${JSON.stringify(record('a'))}`);
    expect(summary(await readAll([file]))).toEqual(['bom.json a']);
  });

  it('passes a JSON scalar on as a record for the parser to reject', async () => {
    const file = put('number.json', '42');
    expect(await readAll([file])).toEqual([{ source: file, record: 42 }]);
  });

  it('skips CloudTrail digest files, which hold no events', async () => {
    const digest = put(
      'digest.json.gz',
      gzipSync(JSON.stringify({ awsAccountId: '123456789012', digestStartTime: '2024-01-15T10:00:00Z', logFiles: [] })),
    );
    expect(await readAll([digest])).toEqual([]);
  });
});

describe('readTrailInputs: files that cannot be read', () => {
  it('reports a truncated pretty-printed log file once, not once per line, keeps the records before, goes on', async () => {
    const pretty = JSON.stringify({ Records: [record('a'), record('b'), record('c')] }, null, 2);
    const truncated = put('a-truncated.json', pretty.slice(0, Math.floor(pretty.length * 0.6)));
    const good = put('b-good.json', JSON.stringify(record('z')));
    expect(summary(await readAll([truncated, good]))).toEqual([
      'a-truncated.json#1 a',
      expect.stringMatching(/^a-truncated\.json#2 !invalid JSON at line \d+: the data ends inside a value/),
      'b-good.json z',
    ]);
  });

  it('keeps the records of a single-line log file (as CloudTrail writes them) before the point it is cut', async () => {
    const compact = JSON.stringify({ Records: [record('a'), record('b')] });
    const file = put('cut.json', compact.slice(0, -10));
    expect(summary(await readAll([file]))).toEqual([
      'cut.json#1 a',
      'cut.json#2 !invalid JSON at line 1: the data ends inside a value (the file is cut short)',
    ]);
  });

  it('keeps what a cut-short gzip file decompresses, says how much was read, and goes on with the next file', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify(record(`r${i}`))).join('\n');
    const zipped = gzipSync(lines);
    const cut = put('a.jsonl.gz', zipped.subarray(0, Math.floor(zipped.length / 2)));
    const garbage = put('b.json.gz', Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('not really gzip')]));
    const good = put('c.json', JSON.stringify(record('c')));
    const items = summary(await readAll([cut, garbage, good]));
    const kept = items.filter((item) => item.startsWith('a.jsonl.gz:') && !item.includes('!'));
    expect(kept.length).toBeGreaterThan(500);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => `a.jsonl.gz:${i + 1} r${i}`));
    const read = Math.floor(zipped.length / 2);
    expect(items.slice(kept.length)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^a\\.jsonl\\.gz !cannot decompress gzip data: unexpected end of file; read ${read} of ${read} bytes ` +
            `\\(\\d+ bytes decompressed\\); the ${kept.length} records before are kept, the rest of the file is not read$`,
        ),
      ),
      expect.stringMatching(/^b\.json\.gz !cannot decompress gzip data: /),
      'c.json c',
    ]);
  });

  it('reports a file that is not valid UTF-8 and goes on', async () => {
    const bad = put('latin1.json', Buffer.concat([Buffer.from('{"eventID": "caf'), Buffer.from([0xe9]), Buffer.from('"}')]));
    const good = put('z.json', JSON.stringify(record('z')));
    expect(summary(await readAll([bad, good]))).toEqual(['latin1.json !invalid UTF-8', 'z.json z']);
  });

  it('reports an empty file', async () => {
    const file = put('empty.json', '  \n');
    expect(summary(await readAll([file]))).toEqual(['empty.json !empty file']);
  });

  it('reports a log file whose Records is not an array', async () => {
    const file = put('log.json', JSON.stringify({ Records: record('a') }));
    expect(summary(await readAll([file]))).toEqual(['log.json !log file Records is not an array']);
  });

  it('throws a ValidationError naming a path that does not exist, before yielding anything', async () => {
    const good = put('good.json', JSON.stringify(record('a')));
    const missing = path.join(dir, 'nope', 'missing.json');
    const reader = readTrailInputs([good, missing]);
    const first = reader.next();
    await expect(first).rejects.toThrow(ValidationError);
    await expect(first).rejects.toThrow(`${missing}: no such file or directory`);
  });
});

describe('readTrailInputs: directories', () => {
  it('walks directories recursively in sorted order, skipping hidden entries and files that are not JSON', async () => {
    put('b/2.json', JSON.stringify(record('b2')));
    put('b/1.json.gz', gzipSync(JSON.stringify({ Records: [record('b1')] })));
    put('a.json', JSON.stringify(record('a')));
    put('c.jsonl', `${JSON.stringify(record('c1'))}\n${JSON.stringify(record('c2'))}\n`);
    put('noextension', JSON.stringify(record('n')));
    put('.hidden.json', JSON.stringify(record('hidden')));
    put('.git/HEAD.json', JSON.stringify(record('git')));
    put('README.md', '# notes');
    put('notes.txt', 'not json');
    put('config.yml', 'a: 1');
    expect(summary(await readAll([dir]))).toEqual([
      'a.json a',
      'b/1.json.gz#1 b1',
      'b/2.json b2',
      'c.jsonl:1 c1',
      'c.jsonl:2 c2',
      'noextension n',
    ]);
  });

  it('reads a file named on the command line whatever its extension', async () => {
    const file = put('events.txt', JSON.stringify(record('t')));
    expect(summary(await readAll([file]))).toEqual(['events.txt t']);
  });

  it('walks a directory reached twice through a symbolic link only once', async () => {
    put('sub/a.json', JSON.stringify(record('a')));
    symlinkSync(dir, path.join(dir, 'sub', 'loop'));
    expect(summary(await readAll([dir]))).toEqual(['sub/a.json a']);
  });

  it('reports a dangling symbolic link and goes on', async () => {
    put('b.json', JSON.stringify(record('b')));
    symlinkSync(path.join(dir, 'gone.json'), path.join(dir, 'a-link.json'));
    const items = summary(await readAll([dir]));
    expect(items).toHaveLength(2);
    expect(items[0]).toMatch(/^a-link\.json !cannot read file: ENOENT/);
    expect(items[1]).toBe('b.json b');
  });

  it('yields nothing for an empty directory', async () => {
    mkdirSync(path.join(dir, 'empty'));
    expect(await readAll([path.join(dir, 'empty')])).toEqual([]);
  });
});

describe('readTrailText', () => {
  it('never throws and yields only well-formed items, whatever the text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.json(),
          fc.array(fc.json()).map((lines) => lines.join('\n')),
        ),
        (text) => {
          for (const item of readTrailText('f', text)) {
            expect(item.source.startsWith('f')).toBe(true);
            if ('error' in item) expect(typeof item.error).toBe('string');
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('yields one record per line of any JSON Lines text of objects, with its line number', () => {
    const line = fc.dictionary(
      fc.string().filter((key) => key !== 'Records' && key !== 'digestStartTime'),
      fc.jsonValue(),
      { minKeys: 1 },
    );
    fc.assert(
      fc.property(fc.array(line, { minLength: 2, maxLength: 8 }), (objects) => {
        const lines = objects.map((o) => JSON.stringify(o));
        const items = [...readTrailText('f', lines.join('\n'))];
        expect(items).toEqual(lines.map((text, i) => ({ source: `f:${i + 1}`, record: JSON.parse(text) })));
      }),
      { numRuns: 500 },
    );
  });
});

describe('collectTrailEvents', () => {
  it('returns the events of all inputs sorted by eventTime, ties by eventID, duplicates in reading order', async () => {
    const first = put(
      'a.json',
      JSON.stringify({ Records: [record('z', '2024-01-15T10:30:02Z'), record('m', '2024-01-15T10:30:00Z')] }),
    );
    const second = put(
      'b.jsonl',
      [
        record('b', '2024-01-15 10:30:01'),
        record('a', '2024-01-15T10:30:01Z'),
        record('m', '2024-01-15T10:30:00Z', 'CreateRoleAgain'),
        record('early', '2024-01-15T12:30:00+05:00'),
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const errors: TrailReadError[] = [];
    const events = await collectTrailEvents([first, second], (error) => errors.push(error));
    expect(errors).toEqual([]);
    expect(events.map((e) => `${e.eventId}/${e.eventName}`)).toEqual([
      'early/CreateRole',
      'm/CreateRole',
      'm/CreateRoleAgain',
      'a/CreateRole',
      'b/CreateRole',
      'z/CreateRole',
    ]);
  });

  it('skips events whose eventTime cannot be read, reporting why: they never reach the replay', async () => {
    const file = put('log.json', JSON.stringify({ Records: [record('late'), record('unknown', 'not a time')] }));
    const errors: TrailReadError[] = [];
    const events = await collectTrailEvents([file], (error) => errors.push(error));
    expect(events.map((e) => e.eventId)).toEqual(['late']);
    expect(errors).toEqual([
      {
        source: `${file}#2`,
        message: expect.stringMatching(/eventTime "not a time" is not a time/),
        reason: 'invalid eventTime',
        eventId: 'unknown',
      },
    ]);
  });

  it('reports unreadable files and invalid records with their source and eventID, and returns the rest', async () => {
    const log = put(
      'a.json',
      JSON.stringify({ Records: [record('ok-1'), { ...record('no-name'), eventName: 7 }, 'junk', record('ok-2')] }),
    );
    const broken = put('b.json', '{"Records": [');
    const errors: TrailReadError[] = [];
    const events = await collectTrailEvents([log, broken], (error) => errors.push(error));
    expect(events.map((e) => e.eventId)).toEqual(['ok-1', 'ok-2']);
    expect(errors).toEqual([
      {
        source: `${log}#2`,
        message: expect.stringMatching(/no-name has no eventName/),
        reason: 'invalid record',
        eventId: 'no-name',
      },
      { source: `${log}#3`, message: expect.stringMatching(/must be a JSON object, got a string/), reason: 'invalid record' },
      {
        source: broken,
        message: expect.stringMatching(/^invalid JSON at line 1: the data ends inside a value/),
        reason: 'invalid JSON',
      },
    ]);
  });

  it('rejects when a path does not exist', async () => {
    await expect(collectTrailEvents([path.join(dir, 'missing')], () => undefined)).rejects.toThrow(
      /missing: no such file or directory/,
    );
  });
});

describe('reading record by record: a bad part skips only itself', () => {
  it('skips a record holding bytes that are not UTF-8, and only it, in a single-line log file', async () => {
    const [a, b, c] = [record('a'), record('b'), record('c')].map((r) => Buffer.from(JSON.stringify(r)));
    const bad = Buffer.from(String(b).replace('role-b', 'role-\u0000'));
    bad[bad.indexOf(0)] = 0xff;
    const file = put(
      'log.json',
      Buffer.concat([
        Buffer.from('{"Records":['),
        a as Buffer,
        Buffer.from(','),
        bad,
        Buffer.from(','),
        c as Buffer,
        Buffer.from(']}'),
      ]),
    );
    expect(summary(await readAll([file]))).toEqual(['log.json#1 a', 'log.json#2 !invalid UTF-8', 'log.json#3 c']);
  });

  it('skips a record larger than the limit, and only it', async () => {
    const big = { ...record('big'), requestParameters: { padding: 'x'.repeat(5000) } };
    const file = put('log.json', JSON.stringify({ Records: [record('a'), big, record('c')] }));
    const items: string[] = [];
    for await (const item of openTrailFile(file, { maxRecordBytes: 4096, chunkBytes: 1000 }))
      items.push(summary([item])[0] as string);
    expect(items).toEqual([
      'log.json#1 a',
      expect.stringMatching(/^log\.json#2 !a record of \d+ bytes, more than the 4096 a record may take$/),
      'log.json#3 c',
    ]);
  });

  it('reads the record of a JSON Lines line that follows a line cut short, and every junk line on its own', async () => {
    const full = JSON.stringify(record('a'));
    const lines = [full.slice(0, 40), JSON.stringify(record('b')), 'junk words here', '{"a": [1, 2', JSON.stringify(record('c'))];
    const items = summary(await readAll([put('events.jsonl', lines.join('\n'))]));
    expect(items).toEqual([
      expect.stringMatching(/^events\.jsonl:1 !invalid JSON at line 1: a line break inside a string/),
      'events.jsonl:2 b',
      expect.stringMatching(/^events\.jsonl:3 !invalid JSON/),
      expect.stringMatching(/^events\.jsonl:4 !invalid JSON at line 5: /),
      'events.jsonl:5 c',
    ]);
  });

  it('reads the next line of a JSON Lines file whose previous line lacks its end outside a string', () => {
    expect([...readTrailText('f', '{"a": 1\n{"b": 2}\n')]).toEqual([
      {
        source: 'f:1',
        error: "invalid JSON at line 2: '{' where ',' or the end of an object was expected",
        reason: 'invalid JSON',
      },
      { source: 'f:2', record: { b: 2 } },
    ]);
  });

  it('skips the lines of a broken document up to the next line that starts a value, and says which', () => {
    const text = ['junk at the start', '  more junk', '', 'and more', JSON.stringify(record('a')), 'junk again'].join('\n');
    expect([...readTrailText('f', `${text}\n`)]).toEqual([
      { source: 'f:1', error: 'invalid JSON at line 1: text that is not JSON; lines 1-4 skipped', reason: 'invalid JSON' },
      { source: 'f:5', record: record('a') },
      { source: 'f:6', error: 'invalid JSON at line 6: text that is not JSON', reason: 'invalid JSON' },
    ]);
    expect([...readTrailText('f', 'junk\nmore junk\n')]).toEqual([
      { source: 'f', error: 'invalid JSON at line 1: text that is not JSON; lines 1-2 skipped', reason: 'invalid JSON' },
    ]);
  });

  it('accounts for each file: size, bytes read, records and skips, and why it stopped early', async () => {
    const text = `${JSON.stringify(record('a'))}\nnot json\n${JSON.stringify(record('b'))}\n`;
    const file = put('events.jsonl', text);
    const reader = openTrailFile(file, { chunkBytes: 7 });
    for await (const _ of reader);
    expect(reader.report).toEqual({
      file,
      size: Buffer.byteLength(text),
      bytesRead: Buffer.byteLength(text),
      textBytes: Buffer.byteLength(text),
      records: 2,
      skipped: 1,
    });
    const zipped = gzipSync(text);
    const cut = openTrailFile(put('cut.jsonl.gz', zipped.subarray(0, zipped.length - 30)));
    for await (const _ of cut);
    expect(cut.report).toMatchObject({ size: zipped.length - 30, bytesRead: zipped.length - 30, skipped: 1 });
    expect(cut.report.incomplete).toBe('cannot decompress gzip data: unexpected end of file');
  });

  it('splits the same bytes into the same items wherever the chunks end', () => {
    const piece = fc.oneof(
      fc.constantFrom(
        JSON.stringify(record('a')),
        JSON.stringify({ Records: [record('b'), record('c')] }),
        JSON.stringify({ Records: [record('d')] }, null, 2),
        JSON.stringify([record('e'), 'x\\"y', 42]),
        JSON.stringify(envelope(record('f'))),
        '{"eventID": "cut',
        'junk line',
        '{"a": tru}',
        '"\\u00e9\\"\\\\"',
        '',
        '  ',
      ),
      fc.json(),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 6 }),
        fc.constantFrom('\n', '\r\n', ' '),
        fc.array(fc.nat(), { maxLength: 8 }),
        (pieces, separator, cuts) => {
          const bytes = Buffer.from(pieces.join(separator));
          const whole = new JsonRecordSplitter('f');
          const expected = [...whole.push(bytes), ...whole.end()];
          const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((x, y) => x - y);
          const chunked = new JsonRecordSplitter('f');
          const items = [];
          let from = 0;
          for (const point of [...points, bytes.length]) {
            items.push(...chunked.push(bytes.subarray(from, point)));
            from = point;
          }
          items.push(...chunked.end());
          expect(items).toEqual(expected);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
