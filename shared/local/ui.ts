import { readFileSync } from 'node:fs';
import path from 'node:path';

/** A static response of the local web page. */
export interface Asset {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What the page is told about the server it runs on (GET /ui/session.json). */
export interface UiSession {
  /** Where the data comes from, for the header: `local monitor`, or the table and region. */
  source: string;
  /** Suppress and re-open are offered (rolewatch ui answers them only with --allow-writes). */
  writable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};
const FILES = new Set([
  'index.html',
  'role.html',
  'graph.html',
  'style.css',
  'common.js',
  'triage.js',
  'role.js',
  'graph.js',
  'account.js',
]);
/**
 * Third-party scripts, served from the installed package (never from a CDN): Cytoscape.js (MIT) draws
 * the access graphs. It is read once, on first request.
 */
const VENDOR: Record<string, () => string> = {
  'vendor/cytoscape.min.js': () => readFileSync(require.resolve('cytoscape/dist/cytoscape.min.js'), 'utf8'),
};
const vendored = new Map<string, string>();
// The page only talks to its own origin and runs only its own scripts: no inline script or style, no eval.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/**
 * The web page's files: `/` redirects to `/ui/`, `/ui/<file>` serves one of a fixed set of files, and
 * `/ui/session.json` says where the data comes from and whether writes are offered. Anything else is not
 * an asset (undefined): the reporting API answers it.
 */
export function uiAssets(session: UiSession): (method: string, urlPath: string) => Asset | undefined {
  const sessionBody = JSON.stringify(session);
  return (method, urlPath): Asset | undefined => {
    if (urlPath === '/' || urlPath === '/ui') return { status: 302, headers: { location: '/ui/' }, body: '' };
    if (!urlPath.startsWith('/ui/')) return undefined;
    if (method !== 'GET') return { status: 405, headers: { 'content-type': 'text/plain' }, body: 'method not allowed\n' };
    const name = urlPath === '/ui/' ? 'index.html' : urlPath.slice('/ui/'.length);
    if (name === 'session.json')
      return {
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8', ...SECURITY_HEADERS },
        body: sessionBody,
      };
    const vendor = VENDOR[name];
    if (vendor) {
      let body = vendored.get(name);
      if (body === undefined) {
        body = vendor();
        vendored.set(name, body);
      }
      return { status: 200, headers: { 'content-type': TYPES['.js'] ?? 'text/plain', ...SECURITY_HEADERS }, body };
    }
    if (!FILES.has(name)) return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'not found\n' };
    const body = readFileSync(path.join(__dirname, 'ui', name), 'utf8');
    return { status: 200, headers: { 'content-type': TYPES[path.extname(name)] ?? 'text/plain', ...SECURITY_HEADERS }, body };
  };
}

/** The page of the local monitor (`rolewatch start`): its own table, writes allowed. */
export const uiAsset = uiAssets({ source: 'local monitor', writable: true });
