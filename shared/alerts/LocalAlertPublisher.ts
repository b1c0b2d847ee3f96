import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Alert, AlertDeliveryError, type AlertPublisher } from '../ports/alertPublisher';
import { toEml } from './toEml';

/** Options of {@link LocalAlertPublisher}. */
export interface LocalAlertPublisherOptions {
  /** Where the `.eml` files go (created when missing). */
  directory: string;
  /** The To address of the written messages. */
  to?: string;
  from?: string;
  /** Where the readable block is printed; stderr by default, so stdout stays for command output. */
  stream?: NodeJS.WritableStream;
  /** The Date of the messages; the system clock by default. */
  now?: () => number;
}

const RULE = '='.repeat(100);

/**
 * Alerts for local mode (`npm start`): each alert is printed as a readable block and written as an
 * RFC 5322 `.eml` file that any mail client opens, so a user sees the message as it would arrive.
 */
export class LocalAlertPublisher implements AlertPublisher {
  private readonly to: string;
  private readonly from: string;
  private readonly stream: NodeJS.WritableStream;
  private readonly now: () => number;

  constructor(private readonly options: LocalAlertPublisherOptions) {
    this.to = options.to ?? 'security-team@localhost';
    this.from = options.from ?? 'RoleWatch <rolewatch@localhost>';
    this.stream = options.stream ?? process.stderr;
    this.now = options.now ?? Date.now;
  }

  /** Writes the `.eml` file, then prints the block; throws AlertDeliveryError when the file cannot be written. */
  async publish(alert: Alert): Promise<void> {
    const date = new Date(this.now());
    const file = await this.write(alert, date).catch((error: unknown) => {
      throw new AlertDeliveryError(
        `cannot write alert to ${this.options.directory}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    });
    this.stream.write(`${RULE}\nRoleWatch alert (${file})\nSubject: ${alert.subject}\n\n${alert.text}${RULE}\n`);
  }

  private async write(alert: Alert, date: Date): Promise<string> {
    await mkdir(this.options.directory, { recursive: true });
    const eml = toEml(alert, { from: this.from, to: this.to, date });
    const base = fileBase(alert, date);
    for (let attempt = 1; ; attempt += 1) {
      const file = path.join(this.options.directory, `${base}${attempt === 1 ? '' : `-${attempt}`}.eml`);
      try {
        await writeFile(file, eml, { flag: 'wx' });
        return file;
      } catch (error) {
        // The same finding alerted twice within one millisecond: keep both messages.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  }
}

/** `2026-03-02T09-00-00.000Z-critical-trust-any-principal-<finding id>`: sorts by time, names what it is. */
function fileBase(alert: Alert, date: Date): string {
  const id = typeof alert.json.id === 'string' ? alert.json.id : 'finding';
  return [date.toISOString().replace(/:/g, '-'), alert.attributes.severity, alert.attributes.ruleId, id]
    .map((part) => part.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80))
    .join('-');
}
