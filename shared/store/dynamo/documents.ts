import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { DynamoTable, Item } from './DynamoTable';
import { keys } from './keys';

/**
 * Texts of any size in DynamoDB items: policy documents, and the events and diffs of a role's history. An item
 * holds at most 400 KB; IAM accepts documents of 10,240 characters at most, but a CloudTrail record (a crafted
 * archive, a hand-made export) can carry one of megabytes, and its write must not fail on every retry (into the
 * dead-letter queue, the role's state and findings never recorded). A text `name` is stored as:
 * - `name`, a string: as it is, up to the caller's `plainMax` bytes (every document IAM accepts);
 * - `name`, binary: gzipped, when that fits in {@link PART_BYTES};
 * - `nameSha256` and `nameParts`: larger still, the gzip split into part items of their own partition
 *   (`pk = PARTS#<sha256 of the text>`, `sk = 00000, 00001...`), written before the item that refers to them,
 *   so a reader that sees the reference finds every part. Parts are named by the text's hash: writing them again
 *   writes the same items, and no list or page of the item's own partition ever meets them.
 * `nameBytes` keeps the text's size when it is not stored as it is.
 */
export const PART_BYTES = 300 * 1024;
/** Documents up to this size are stored as they are: every document IAM accepts, readable in the console. */
export const PLAIN_DOCUMENT_BYTES = 16 * 1024;

/** What writing a text sets in its item and removes from it (the attributes of its other forms). */
export interface TextWrite {
  set: Item;
  remove: string[];
}

/** Every attribute a text `name` may occupy, in any of its forms. */
export function textAttributes(name: string): string[] {
  return [name, `${name}Sha256`, `${name}Parts`, `${name}Bytes`];
}

/** Large texts of items of one table. */
export class StoredTexts {
  constructor(private readonly table: DynamoTable) {}

  /**
   * Prepares `text` for the item attribute `name`: puts its parts first when it needs them. `expiresAt` (epoch
   * seconds) gives the parts the TTL of the item that refers to them.
   */
  async write(name: string, text: string, options: { plainMax: number; expiresAt?: number }): Promise<TextWrite> {
    const bytes = Buffer.byteLength(text, 'utf8');
    const only = (set: Item): TextWrite => ({ set, remove: textAttributes(name).filter((attribute) => !(attribute in set)) });
    if (bytes <= options.plainMax) return only({ [name]: text });
    const gz = gzipSync(text);
    if (gz.length <= PART_BYTES) return only({ [name]: gz, [`${name}Bytes`]: bytes });
    const sha = sha256(text);
    let count = 0;
    for (let offset = 0; offset < gz.length; offset += PART_BYTES, count++)
      await this.table.put({
        pk: keys.textParts(sha),
        sk: String(count).padStart(5, '0'),
        data: gz.subarray(offset, offset + PART_BYTES),
        ...(options.expiresAt !== undefined ? { expiresAt: options.expiresAt } : {}),
      });
    return only({ [`${name}Sha256`]: sha, [`${name}Parts`]: count, [`${name}Bytes`]: bytes });
  }

  /**
   * The text an item holds under `name`, in whichever form it was written; undefined when it holds none. A part
   * missing or a hash that does not match throws: the read fails (and is retried) rather than judge a role on half
   * a document.
   */
  async read(item: Item, name: string): Promise<string | undefined> {
    const value = item[name];
    if (typeof value === 'string') return value;
    if (value instanceof Uint8Array) return gunzipSync(value).toString('utf8');
    const sha = item[`${name}Sha256`];
    if (typeof sha !== 'string') return undefined;
    const count = Number(item[`${name}Parts`]);
    const parts = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk',
      values: { ':pk': keys.textParts(sha) },
      ConsistentRead: true,
    });
    if (parts.length !== count) throw new Error(`stored text ${sha}: ${parts.length} of ${count} parts found`);
    const text = gunzipSync(Buffer.concat(parts.map((part) => part.data as Uint8Array))).toString('utf8');
    if (sha256(text) !== sha) throw new Error(`stored text ${sha}: its parts do not match its hash`);
    return text;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
