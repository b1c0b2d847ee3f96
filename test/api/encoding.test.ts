import { randomBytes } from 'node:crypto';
import { csvCell, toCsv } from '../../shared/api/csv';
import { createCursorCodec } from '../../shared/api/cursor';
import { prefersCsv } from '../../shared/api/router';
import { ValidationError } from '../../shared/errors';

describe('CSV', () => {
  it('quotes fields with a comma, a quote or a line break, doubling quotes (RFC 4180)', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\r')).toBe('"cr\r"');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(null)).toBe('');
    expect(csvCell(42)).toBe('42');
    expect(csvCell(false)).toBe('false');
  });

  it('neutralises cells a spreadsheet would run as a formula', () => {
    expect(csvCell('=HYPERLINK("http://evil.example","click")')).toBe(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    expect(csvCell('+1+2')).toBe("'+1+2");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\tcmd')).toBe("'\tcmd");
    expect(csvCell('a=b')).toBe('a=b');
    // Numbers RoleWatch produces are numbers, not text someone chose.
    expect(csvCell(-1)).toBe('-1');
  });

  it('writes a header row and CRLF line ends', () => {
    const text = toCsv(
      [
        { header: 'name', value: (row: { name: string; n: number }) => row.name },
        { header: 'n', value: (row: { name: string; n: number }) => row.n },
      ],
      [
        { name: 'a', n: 1 },
        { name: '=b', n: 2 },
      ],
    );
    expect(text).toBe("name,n\r\na,1\r\n'=b,2\r\n");
  });

  it.each([
    [undefined, false],
    ['', false],
    ['*/*', false],
    ['text/csv', true],
    ['text/*', true],
    ['application/json, text/csv', false],
    ['text/csv, application/json;q=0.9', true],
    ['text/csv;q=0', false],
    ['TEXT/CSV; charset=utf-8', true],
  ])('Accept %p prefers CSV: %p', (accept, csv) => {
    expect(prefersCsv(accept)).toBe(csv);
  });
});

describe('cursors', () => {
  const key = randomBytes(32);
  const codec = createCursorCodec(async () => key);
  const filters = { params: {}, filters: { status: ['open'], severity: ['high', 'critical'] } };
  const position = { k: '001793610000000#123456789012-abc' };

  const reasonOf = async (promise: Promise<unknown>) => {
    try {
      await promise;
    } catch (error) {
      if (error instanceof ValidationError) return `${error.field}: ${error.reason}`;
      throw error;
    }
    return 'accepted';
  };

  it('round-trips a position as an opaque base64url token', async () => {
    const cursor = await codec.encode('listFindings', filters, position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(await codec.decode('listFindings', filters, cursor)).toEqual(position);
  });

  it('binds the cursor to the list and its filters, in whatever order the filters were given', async () => {
    const cursor = await codec.encode('listFindings', filters, position);
    const reordered = { filters: { severity: ['critical', 'high'], status: ['open'] }, params: {} };
    expect(await codec.decode('listFindings', reordered, cursor)).toEqual(position);
    const foreign = 'cursor: was issued for another query: give the same filters as the first page';
    expect(await reasonOf(codec.decode('listRoles', filters, cursor))).toBe(foreign);
    expect(await reasonOf(codec.decode('listFindings', { ...filters, filters: { status: ['open'] } }, cursor))).toBe(foreign);
  });

  it('refuses modified, truncated, re-encoded and foreign-key cursors', async () => {
    const cursor = await codec.encode('listFindings', filters, position);
    const bytes = Buffer.from(cursor, 'base64url');
    const payload = JSON.parse(bytes.subarray(32).toString('utf8')) as { p: { k: string } };
    const forged = Buffer.concat([bytes.subarray(0, 32), Buffer.from(JSON.stringify({ ...payload, p: { k: '999' } }))]);
    const invalid = 'cursor: is not a valid cursor';
    expect(await reasonOf(codec.decode('listFindings', filters, forged.toString('base64url')))).toBe(invalid);
    expect(await reasonOf(codec.decode('listFindings', filters, cursor.slice(0, 40)))).toBe(invalid);
    expect(await reasonOf(codec.decode('listFindings', filters, `${cursor}=`))).toBe(invalid);
    expect(await reasonOf(codec.decode('listFindings', filters, 'AAAA'))).toBe(invalid);
    const other = createCursorCodec(async () => randomBytes(32));
    expect(await reasonOf(other.decode('listFindings', filters, cursor))).toBe(invalid);
  });
});
