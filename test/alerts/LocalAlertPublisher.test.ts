import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { formatAlert } from '../../shared/alerts/formatAlert';
import { LocalAlertPublisher } from '../../shared/alerts/LocalAlertPublisher';
import { rfc5322Date, toEml } from '../../shared/alerts/toEml';
import { AlertDeliveryError } from '../../shared/ports/alertPublisher';
import { finding } from './support';

const DATE = new Date('2026-03-02T09:00:07.250Z');
const envelope = { from: 'RoleWatch <rolewatch@localhost>', to: 'oncall@example.com', date: DATE };

/** Splits an RFC 5322 message into unfolded headers and body. */
function parseEml(eml: string): { headers: Record<string, string>; body: string } {
  const [head = '', ...rest] = eml.split('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return { headers, body: rest.join('\r\n\r\n') };
}

function decodeQuotedPrintable(body: string): string {
  const bytes = body
    .replace(/=\r\n/g, '')
    .split(/(=[0-9A-F]{2})/)
    .flatMap((part) => (/^=[0-9A-F]{2}$/.test(part) ? [Number.parseInt(part.slice(1), 16)] : [...Buffer.from(part, 'latin1')]));
  return Buffer.from(bytes).toString('utf8');
}

describe('toEml', () => {
  const alert = formatAlert(finding(), 'opened', { apiUrl: 'https://api.example.com' });

  it('writes an RFC 5322 plain-text UTF-8 message with CRLF lines and the routing headers', () => {
    const eml = toEml(alert, envelope);
    const { headers, body } = parseEml(eml);
    expect(headers).toMatchObject({
      From: 'RoleWatch <rolewatch@localhost>',
      To: 'oncall@example.com',
      Date: 'Mon, 02 Mar 2026 09:00:07 +0000',
      Subject: '[CRITICAL] RoleWatch: role deploy-bot now trusts any principal (123456789012)',
      'MIME-Version': '1.0',
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Transfer-Encoding': '8bit',
      'X-RoleWatch-Severity': 'critical',
      'X-RoleWatch-Rule': 'trust-any-principal',
      'X-RoleWatch-Account': '123456789012',
    });
    expect(headers['Message-ID']).toMatch(/^<\d+\.[0-9a-f]{16}@rolewatch\.localhost>$/);
    expect(eml).not.toMatch(/[^\r]\n/);
    expect(body.replace(/\r\n/g, '\n')).toBe(alert.text);
    for (const line of eml.split('\r\n\r\n')[0]?.split('\r\n') ?? []) expect(line.length).toBeLessThanOrEqual(78);
  });

  it('keeps a configured address from adding headers', () => {
    const { headers } = parseEml(toEml(alert, { ...envelope, to: 'oncall@example.com\r\nBcc: attacker@example.net' }));
    expect(headers.Bcc).toBeUndefined();
    expect(headers.To).toBe('oncall@example.com Bcc: attacker@example.net');
  });

  it('encodes a non-ASCII subject as RFC 2047 words', () => {
    const { headers } = parseEml(toEml({ ...alert, subject: 'rôle café — 部署' }, envelope));
    const words = headers.Subject?.split(' ') ?? [];
    expect(words.every((word) => /^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/.test(word) && word.length <= 75)).toBe(true);
    const decoded = words.map((word) => Buffer.from(word.slice(10, -2), 'base64').toString('utf8')).join('');
    expect(decoded).toBe('rôle café — 部署');
  });

  it('sends a body with a line over 998 bytes quoted-printable, which decodes to the text', () => {
    const text = `WHAT HAPPENED\n  ${'€'.repeat(400)} = end \n`;
    const eml = toEml({ ...alert, text }, envelope);
    const { headers, body } = parseEml(eml);
    expect(headers['Content-Transfer-Encoding']).toBe('quoted-printable');
    for (const line of body.split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
    expect(decodeQuotedPrintable(body).replace(/\r\n/g, '\n')).toBe(text);
  });

  it('formats dates as RFC 5322 wants', () => {
    expect(rfc5322Date(new Date('2026-12-31T23:59:59Z'))).toBe('Thu, 31 Dec 2026 23:59:59 +0000');
  });
});

describe('LocalAlertPublisher', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(path.join(tmpdir(), 'rolewatch-alerts-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('prints a readable block and writes the message as an .eml file', async () => {
    const stream = new PassThrough();
    let printed = '';
    stream.on('data', (chunk: Buffer) => {
      printed += chunk.toString('utf8');
    });
    const alert = formatAlert(finding(), 'opened');
    await new LocalAlertPublisher({ directory, to: 'oncall@example.com', stream, now: () => DATE.getTime() }).publish(alert);

    const files = readdirSync(directory);
    expect(files).toEqual(['2026-03-02T09-00-07.250Z-critical-trust-any-principal-123456789012-deploybotTrustAnyPrincipal.eml']);
    const eml = readFileSync(path.join(directory, files[0] ?? ''), 'utf8');
    expect(eml).toBe(toEml(alert, { from: 'RoleWatch <rolewatch@localhost>', to: 'oncall@example.com', date: DATE }));
    expect(printed).toContain(`Subject: ${alert.subject}\n`);
    expect(printed).toContain(alert.text);
    expect(printed).toContain(path.join(directory, files[0] ?? ''));
  });

  it('keeps both messages when the same finding is alerted twice at the same instant', async () => {
    const publisher = new LocalAlertPublisher({ directory, stream: new PassThrough(), now: () => DATE.getTime() });
    const alert = formatAlert(finding(), 'opened');
    await publisher.publish(alert);
    await publisher.publish(alert);
    expect(readdirSync(directory)).toHaveLength(2);
  });

  it('fails with AlertDeliveryError when the directory cannot be written', async () => {
    const blocked = path.join(directory, 'not-a-directory');
    writeFileSync(blocked, '');
    const publisher = new LocalAlertPublisher({ directory: blocked, stream: new PassThrough() });
    await expect(publisher.publish(formatAlert(finding(), 'opened'))).rejects.toBeInstanceOf(AlertDeliveryError);
  });
});
