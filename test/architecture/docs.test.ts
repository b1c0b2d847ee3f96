import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/**
 * The docs stay true to the tree: every relative link of README.md and shared/**\/*.md names a file that exists
 * (and, with `#anchor`, a heading of that file), and the folder tree of shared/README.md names every folder there
 * is and none that is gone.
 */
const root = join(__dirname, '..', '..');

function markdownFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

/** The text outside fenced code blocks. */
function withoutCodeBlocks(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/** The text outside code blocks and inline code spans, where markdown makes links. */
function prose(text: string): string {
  return withoutCodeBlocks(text).replace(/`[^`\n]*`/g, '');
}

/** Targets of inline links and images: `[text](target)`, `![alt](target "title")`. */
function linksOf(text: string): string[] {
  return [...prose(text).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2... */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of withoutCodeBlocks(text).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const heading = (m[1] ?? '').replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** What is wrong with each relative link of `file` (a path from the repository root). */
function brokenLinks(file: string, read: (path: string) => string | undefined): string[] {
  const text = read(file) ?? '';
  return linksOf(text)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
    .flatMap((target) => {
      const [path = '', anchor] = target.split('#', 2);
      const resolved = path === '' ? file : relative(root, join(root, dirname(file), decodeURIComponent(path)));
      const content = read(resolved);
      if (content === undefined) return [`${file}: ${target} (no such file: ${resolved})`];
      if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(content).has(anchor)) {
        return [`${file}: ${target} (no heading #${anchor} in ${resolved})`];
      }
      return [];
    });
}

function readRepoFile(path: string): string | undefined {
  const full = join(root, path);
  if (relative(root, full).startsWith('..') || !existsSync(full)) return undefined;
  return statSync(full).isDirectory() ? '' : readFileSync(full, 'utf8');
}

describe('the documentation', () => {
  const files = ['README.md', ...markdownFiles('shared')];

  it('is found: the front page and a guide beside the code', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'shared/README.md', 'shared/rules/README.md']));
  });

  it('links only to files and headings that exist', () => {
    expect(files.flatMap((file) => brokenLinks(file, readRepoFile))).toEqual([]);
  });

  it('reports a link to a missing file, a missing heading, and none for code, URLs or good links', () => {
    const docs: Record<string, string> = {
      'shared/a/README.md': [
        '# Guide',
        '## Data model (DynamoDB)',
        '## Compliance and ATT&CK ids',
        'See [b](../b/README.md#setup), [gone](../b/GONE.md), [model](#data-model-dynamodb), [ids](#compliance-and-attck-ids).',
        'See [bad](#no-such-heading), [site](https://example.com/x.md), `[code](nowhere.md)` and ![shot](../../test/x.png).',
        '```',
        '[in a block](nowhere.md)',
        '```',
      ].join('\n'),
      'shared/b/README.md': '# B\n## Setup\n',
      'test/x.png': '',
    };
    expect(brokenLinks('shared/a/README.md', (path) => docs[path])).toEqual([
      'shared/a/README.md: ../b/GONE.md (no such file: shared/b/GONE.md)',
      'shared/a/README.md: #no-such-heading (no heading #no-such-heading in shared/a/README.md)',
    ]);
  });

  it('numbers repeated headings as GitHub does', () => {
    expect([...anchorsOf('# Setup\n## Setup\n### `rolewatch ui`: the page\n')]).toEqual([
      'setup',
      'setup-1',
      'rolewatch-ui-the-page',
    ]);
  });

  it('links every guide of shared/ from the front page or the codebase guide', () => {
    const linked = ['README.md', 'shared/README.md'].flatMap((from) =>
      linksOf(readFileSync(join(root, from), 'utf8')).map((target) =>
        relative(root, join(root, dirname(from), target.split('#')[0] ?? '')),
      ),
    );
    expect(files.filter((file) => file !== 'README.md' && !linked.includes(file))).toEqual([]);
  });

  it('lists the layers exactly as the import-graph test enforces them', () => {
    const test = readFileSync(join(root, 'test/architecture/layers.test.ts'), 'utf8');
    const enforced = (test.match(/const LAYERS[^=]*= \[\n([\s\S]*?)\n\];/)?.[1] ?? '')
      .split('\n')
      .map((line) =>
        [...line.matchAll(/'([^']+)'/g)].map((m) => (m[1] ?? '').replace(/^shared\//, '').replace(/^functions$/, 'functions/')),
      );
    const guide = readFileSync(join(root, 'shared/README.md'), 'utf8');
    const section = guide.slice(guide.indexOf('## Layers'), guide.indexOf('## Contributing'));
    const listed = [...section.matchAll(/^\d+\. ([^:\n]*)/gm)].map((m) =>
      [...(m[1] ?? '').matchAll(/`([^`]+)`/g)].map((c) => c[1]),
    );
    expect(enforced.length).toBeGreaterThan(5);
    expect(listed).toEqual(enforced);
  });

  it('draws a folder tree that names every folder of shared/ and nothing that is gone', () => {
    const guide = readFileSync(join(root, 'shared/README.md'), 'utf8');
    const tree = guide.match(/^```\n(functions\/[\s\S]*?)^```$/m)?.[1] ?? '';
    const named = [...tree.matchAll(/^(\S+)/gm)].map((m) => (m[1] ?? '').replace(/\/$/, ''));
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((path) => !existsSync(join(root, path)))).toEqual([]);
    const entries = readdirSync(join(root, 'shared'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() || /\.(ts|js)$/.test(entry.name))
      .map((entry) => `shared/${entry.name}`);
    expect(entries.filter((path) => !named.includes(path))).toEqual([]);
  });
});
