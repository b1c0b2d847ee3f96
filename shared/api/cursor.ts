import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ValidationError } from '../errors';
import type { CursorKeyStore, Position } from '../ports/reportQueries';

/** Signs list positions into cursors and reads them back, refusing any the API did not issue for this query. */
export interface CursorCodec {
  encode(scope: string, filters: unknown, position: Position): Promise<string>;
  /** The position a cursor holds; ValidationError on the `cursor` field when it is not one of ours for these filters. */
  decode(scope: string, filters: unknown, cursor: string): Promise<Position>;
}

const MAC_BYTES = 32;
const VERSION = 1;
const payloadSchema = z.strictObject({
  v: z.literal(VERSION),
  f: z.string(),
  p: z.record(z.string(), z.string().max(2048)),
});

/**
 * Cursors are opaque base64url tokens: an HMAC-SHA256 (over the rest) followed by a small JSON payload with
 * the position and a hash of the list and its filters. The key (32 random bytes kept in the table) is
 * fetched once, through `key`. A modified or made-up cursor fails the HMAC; a cursor of another list or
 * other filters fails the filter hash. Both are a 400 on `cursor`, never a read at a forged position.
 */
export function createCursorCodec(key: () => Promise<Uint8Array>): CursorCodec {
  const mac = async (payload: Buffer) =>
    createHmac('sha256', await key())
      .update(payload)
      .digest();
  return {
    async encode(scope, filters, position) {
      const payload = Buffer.from(JSON.stringify({ v: VERSION, f: filterHash(scope, filters), p: position }), 'utf8');
      return Buffer.concat([await mac(payload), payload]).toString('base64url');
    },
    async decode(scope, filters, cursor) {
      const bytes = Buffer.from(cursor, 'base64url');
      // Node decodes leniently: a token must read back exactly as it was written.
      if (bytes.length <= MAC_BYTES || bytes.toString('base64url') !== cursor) throw invalid();
      const payload = bytes.subarray(MAC_BYTES);
      if (!timingSafeEqual(bytes.subarray(0, MAC_BYTES), await mac(payload))) throw invalid();
      let parsed: z.infer<typeof payloadSchema>;
      try {
        parsed = payloadSchema.parse(JSON.parse(payload.toString('utf8')));
      } catch {
        throw invalid();
      }
      if (parsed.f !== filterHash(scope, filters))
        throw new ValidationError('cursor', 'was issued for another query: give the same filters as the first page');
      return parsed.p;
    },
  };
}

/**
 * The HMAC key cursors are signed with: the stored one, or 32 new random bytes kept for every other container.
 * Fetched once per container; a failed fetch is tried again at the next request.
 */
export function cursorKeyOf(store: CursorKeyStore): () => Promise<Uint8Array> {
  let key: Promise<Uint8Array> | undefined;
  const load = async () => (await store.loadCursorKey()) ?? store.keepCursorKey(randomBytes(32));
  return () => {
    key ??= load().catch((error: unknown) => {
      key = undefined;
      throw error;
    });
    return key;
  };
}

function invalid(): ValidationError {
  return new ValidationError('cursor', 'is not a valid cursor');
}

/** A short hash of the list and its filters (keys and lists sorted: the order they were given in does not matter). */
function filterHash(scope: string, filters: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify([scope, canonical(filters)]))
    .digest('base64url')
    .slice(0, 22);
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((entry) => JSON.stringify(canonical(entry))).sort();
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, entry]) => entry !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, entry]) => [name, canonical(entry)]),
    );
  return value;
}
