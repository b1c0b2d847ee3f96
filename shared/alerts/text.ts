/** Text helpers for alerts: byte-exact truncation, ASCII subjects, safe one-line values, word wrapping. */

/** UTF-8 size of a string in bytes. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8, cut between code points, never inside one. */
export function truncateBytes(text: string, maxBytes: number): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  let used = 0;
  let end = 0;
  for (const char of text) {
    const size = utf8Bytes(char);
    if (used + size > maxBytes) break;
    used += size;
    end += char.length;
  }
  return text.slice(0, end);
}

/** At most `maxChars` code points; a cut string ends with `...`. */
export function clip(text: string, maxChars: number): string {
  const chars = [...text];
  if (chars.length <= maxChars) return text;
  return `${chars.slice(0, Math.max(0, maxChars - 3)).join('')}...`;
}

/** Characters NFKD does not decompose to ASCII, spelled the way a reader expects. */
const TRANSLITERATIONS: Record<string, string> = {
  ß: 'ss',
  Æ: 'AE',
  æ: 'ae',
  Œ: 'OE',
  œ: 'oe',
  Ø: 'O',
  ø: 'o',
  Ł: 'L',
  ł: 'l',
  Đ: 'D',
  đ: 'd',
  Þ: 'Th',
  þ: 'th',
  ı: 'i',
  '\u2018': "'",
  '\u2019': "'",
  '\u201a': "'",
  '\u2032': "'",
  '\u201c': '"',
  '\u201d': '"',
  '\u201e': '"',
  '\u2033': '"',
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '-',
  '\u2013': '-',
  '\u2014': '-',
  '\u2015': '-',
  '\u2212': '-',
  '\u2026': '...',
  '\u2022': '*',
  '\u2192': '->',
  '\u2190': '<-',
  '\u00d7': 'x',
};

/**
 * One line of printable ASCII (0x20-0x7E): accents dropped (é → e), common symbols spelled out
 * (– → -, ß → ss), line breaks and control characters turned into spaces, invisible formatting characters
 * removed, and any other character run shown as one `?`. Whitespace is collapsed and trimmed.
 */
export function toAsciiLine(text: string): string {
  return [...text]
    .map((char) => TRANSLITERATIONS[char] ?? char)
    .join('')
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[\p{Cc}\p{Zs}\p{Zl}\p{Zp}]+/gu, ' ')
    .replace(/\p{Cf}+/gu, '')
    .replace(/[^\x20-\x7e]+/g, '?')
    .replace(/ {2,}/g, ' ')
    .trim();
}

/**
 * A value from an event shown on one line of an e-mail: control characters, line separators and bidi
 * overrides are escaped (`\n`, `\u202e`), because user agents and session names are chosen by the caller
 * and must not be able to forge lines or reorder text in the alert.
 */
export function oneLine(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, (char) => {
    if (char === '\n') return '\\n';
    if (char === '\r') return '\\r';
    if (char === '\t') return '\\t';
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/**
 * Word-wraps one paragraph to `width` columns: the first line starts with `first`, the following ones with
 * `rest`. Words longer than a line (ARNs, URLs) are kept whole: a reader must be able to copy them.
 */
export function wrap(text: string, width: number, first: string, rest: string = first): string[] {
  const words = text.split(' ').filter((word) => word.length > 0);
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of words) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = rest + word;
    } else {
      line = empty ? line + word : `${line} ${word}`;
    }
    empty = false;
  }
  lines.push(line.trimEnd());
  return lines;
}
