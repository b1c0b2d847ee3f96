import { readFileSync } from 'node:fs';
import path from 'node:path';

/** A static response of the local web page. */
export interface Asset {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};
const FILES = new Set(['index.html', 'role.html', 'style.css', 'app.js']);
// The page only talks to its own origin and runs only its own script.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * The read-only web page of the local monitor: `/` redirects to `/ui/`, `/ui/<file>` serves one of a fixed set
 * of files. Anything else is not an asset (undefined): the reporting API answers it.
 */
export function uiAsset(method: string, urlPath: string): Asset | undefined {
  if (urlPath === '/' || urlPath === '/ui') return { status: 302, headers: { location: '/ui/' }, body: '' };
  if (!urlPath.startsWith('/ui/')) return undefined;
  if (method !== 'GET') return { status: 405, headers: { 'content-type': 'text/plain' }, body: 'method not allowed\n' };
  const name = urlPath === '/ui/' ? 'index.html' : urlPath.slice('/ui/'.length);
  if (!FILES.has(name)) return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'not found\n' };
  const body = readFileSync(path.join(__dirname, 'ui', name), 'utf8');
  return { status: 200, headers: { 'content-type': TYPES[path.extname(name)] ?? 'text/plain', ...SECURITY_HEADERS }, body };
}
