import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runInNewContext } from 'node:vm';

/** The page's text helpers, run as the browser runs common.js (no DOM needed for these). */
function loadCommon(): { visible(value: unknown): string; visibleLines(value: string): string; time(iso: string): string } {
  const source = readFileSync(path.join(__dirname, '../../shared/local/ui/common.js'), 'utf8');
  const context = { fetch: () => Promise.reject(new Error('no network here')) };
  return runInNewContext(`${source}\nRW`, context) as ReturnType<typeof loadCommon>;
}

describe('the page shows hostile text as text', () => {
  const rw = loadCommon();

  it('shows bidirectional overrides, zero-width and control characters as escapes', () => {
    expect(rw.visible('admin\u202Egnp.exe')).toBe('admin\\u{202e}gnp.exe');
    expect(rw.visible('a\u200Bb\u2066c\u0007d\u00ade')).toBe('a\\u{200b}b\\u{2066}c\\u{0007}d\\u{00ad}e');
    expect(rw.visible('tag\u{E0041}')).toBe('tag\\u{e0041}');
    expect(rw.visible('line\nbreak')).toBe('line\\u{000a}break');
  });

  it('leaves ordinary text, accents, other scripts and emoji alone', () => {
    for (const text of ['arn:aws:iam::123456789012:role/deploy', 'Zoë', 'ロール', 'عربي', '🔑 key', '<script>alert(1)</script>'])
      expect(rw.visible(text)).toBe(text);
    expect(rw.visible(undefined)).toBe('');
    expect(rw.visible(null)).toBe('');
  });

  it('keeps the line breaks of policy documents and diffs', () => {
    expect(rw.visibleLines('{\n  "a": "x\u202Ey"\n}')).toBe('{\n  "a": "x\\u{202e}y"\n}');
  });

  it('writes times as UTC without the T and the milliseconds', () => {
    expect(rw.time('2026-11-02T15:14:20.000Z')).toBe('2026-11-02 15:14:20');
    expect(rw.time('2026-11-02T15:14:20Z')).toBe('2026-11-02 15:14:20');
  });
});
