import { createHash } from 'node:crypto';
import type { Alert } from '../ports/alertPublisher';
import { toAsciiLine, truncateBytes, utf8Bytes } from './text';

/** Envelope of an e-mail: who it is from and to, and when it was sent. */
export interface EmlEnvelope {
  from: string;
  to: string;
  date: Date;
  /** Defaults to one derived from the date and the alert, so the same alert at the same time gives the same file. */
  messageId?: string;
}

const CRLF = '\r\n';
/** RFC 5322: a line must not exceed 998 octets; above that the body is sent quoted-printable. */
const MAX_LINE_BYTES = 998;

/**
 * An alert as an RFC 5322 message (`.eml`): what a mail client shows exactly as the SNS e-mail would
 * arrive. Plain text, UTF-8; 8bit when every line is short enough, quoted-printable otherwise. The
 * routing attributes travel as `X-RoleWatch-*` headers. Reusable by any SMTP sink.
 */
export function toEml(alert: Alert, envelope: EmlEnvelope): string {
  const lines = alert.text.replace(/\r\n?/g, '\n').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const is8bit = lines.every((line) => utf8Bytes(line) <= MAX_LINE_BYTES);
  const headers = [
    header('From', envelope.from),
    header('To', envelope.to),
    header('Date', rfc5322Date(envelope.date)),
    subjectHeader(alert.subject),
    header('Message-ID', envelope.messageId ?? defaultMessageId(alert, envelope.date)),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Transfer-Encoding: ${is8bit ? '8bit' : 'quoted-printable'}`,
    header('X-RoleWatch-Severity', alert.attributes.severity),
    header('X-RoleWatch-Rule', alert.attributes.ruleId),
    header('X-RoleWatch-Account', alert.attributes.account),
  ];
  const body = is8bit ? lines.join(CRLF) : lines.map(quotedPrintable).join(CRLF);
  return `${headers.join(CRLF)}${CRLF}${CRLF}${body}${CRLF}`;
}

/** `Mon, 02 Mar 2026 09:00:00 +0000`. */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/** A structured header from a configured value: one line of ASCII, so a value cannot add headers. */
function header(name: string, value: string): string {
  return fold(`${name}: ${toAsciiLine(value)}`);
}

/** The subject as is when it is ASCII (formatAlert's always is), else as RFC 2047 encoded words. */
function subjectHeader(subject: string): string {
  const flat = subject.replace(/[\r\n]+/g, ' ');
  if (/^[\x20-\x7e]*$/.test(flat)) return fold(`Subject: ${flat}`);
  return `Subject: ${encodedWords(flat).join(`${CRLF} `)}`;
}

/** Folds a header at spaces so lines stay within 78 characters where possible (RFC 5322 §2.2.3). */
function fold(line: string): string {
  const out: string[] = [];
  let rest = line;
  while (rest.length > 78) {
    const cut = rest.lastIndexOf(' ', 78);
    if (cut <= rest.indexOf(':') + 1) break;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  out.push(rest);
  return out.join(CRLF);
}

/** `=?UTF-8?B?...?=` words of at most 75 characters, each holding whole characters. */
function encodedWords(text: string): string[] {
  const words: string[] = [];
  let rest = text;
  while (rest.length > 0) {
    const chunk = truncateBytes(rest, 45) || [...rest][0] || '';
    words.push(`=?UTF-8?B?${Buffer.from(chunk, 'utf8').toString('base64')}?=`);
    rest = rest.slice(chunk.length);
  }
  return words;
}

/** One line, quoted-printable (RFC 2045 §6.7), with soft breaks keeping encoded lines within 76 characters. */
function quotedPrintable(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  const out: string[] = [];
  let current = '';
  bytes.forEach((byte, index) => {
    const isLast = index === bytes.length - 1;
    const literal = (byte >= 33 && byte <= 126 && byte !== 61) || ((byte === 32 || byte === 9) && !isLast);
    const token = literal ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    if (current.length + token.length > 75) {
      out.push(`${current}=`);
      current = '';
    }
    current += token;
  });
  out.push(current);
  return out.join(CRLF);
}

function defaultMessageId(alert: Alert, date: Date): string {
  const hash = createHash('sha256').update(alert.subject).update('\0').update(alert.text).digest('hex').slice(0, 16);
  return `<${date.getTime()}.${hash}@rolewatch.localhost>`;
}
