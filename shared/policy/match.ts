/**
 * IAM wildcard matching, as IAM evaluates Action, Resource and the *Like condition operators: `*` matches
 * any run of characters (including none, and including `/` and `:`), `?` matches exactly one character,
 * everything else is literal. Policy variables such as `${aws:username}` are not substituted: they are
 * matched literally, which is what an offline analyser can honestly do.
 */

/** Options for {@link wildcardMatch}. */
export interface WildcardOptions {
  /** Actions and condition keys are case-insensitive in IAM; ARNs are not. Default false. */
  caseInsensitive?: boolean;
}

type Matcher = (value: string) => boolean;

/** Bounded so that a stream of distinct attacker-chosen patterns cannot grow memory without limit. */
const MAX_CACHED_PATTERNS = 20_000;
const sensitiveCache = new Map<string, Matcher>();
const insensitiveCache = new Map<string, Matcher>();

/** True when `pattern` (IAM wildcards `*` and `?`) matches the whole of `value`. */
export function wildcardMatch(pattern: string, value: string, options: WildcardOptions = {}): boolean {
  return compileWildcard(pattern, options)(value);
}

/** True when the pattern contains an IAM wildcard character. */
export function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/**
 * Compiles a pattern once and caches the matcher. Patterns without wildcards compare as strings, `*`
 * alone matches everything; only the rest pay for a regular expression.
 */
export function compileWildcard(pattern: string, options: WildcardOptions = {}): Matcher {
  const caseInsensitive = options.caseInsensitive === true;
  const cache = caseInsensitive ? insensitiveCache : sensitiveCache;
  const cached = cache.get(pattern);
  if (cached) return cached;
  const matcher = buildMatcher(pattern, caseInsensitive);
  if (cache.size >= MAX_CACHED_PATTERNS) cache.clear();
  cache.set(pattern, matcher);
  return matcher;
}

/**
 * One matcher for "any of these patterns", for hot loops (a statement's Action list tested against many
 * actions): literal patterns go into a Set, the wildcard ones into a single regular expression. Not cached.
 */
export function compileWildcardList(patterns: readonly string[], options: WildcardOptions = {}): Matcher {
  const caseInsensitive = options.caseInsensitive === true;
  if (patterns.some((p) => /^\*+$/.test(p))) return () => true;
  const fold = (value: string) => (caseInsensitive ? value.toLowerCase() : value);
  const literals = new Set(patterns.filter((p) => !hasWildcard(p)).map(fold));
  const wildcards = patterns.filter(hasWildcard);
  if (wildcards.length === 0) return (value) => literals.has(fold(value));
  const regex = new RegExp(`^(?:${wildcards.map(wildcardSource).join('|')})$`, caseInsensitive ? 'isu' : 'su');
  return (value) => literals.has(fold(value)) || regex.test(value);
}

function buildMatcher(pattern: string, caseInsensitive: boolean): Matcher {
  if (/^\*+$/.test(pattern)) return () => true;
  if (!hasWildcard(pattern)) {
    if (!caseInsensitive) return (value) => value === pattern;
    const lower = pattern.toLowerCase();
    return (value) => value.toLowerCase() === lower;
  }
  const regex = new RegExp(`^${wildcardSource(pattern)}$`, caseInsensitive ? 'isu' : 'su');
  return (value) => regex.test(value);
}

function wildcardSource(pattern: string): string {
  let source = '';
  for (const ch of pattern) {
    if (ch === '*') source += source.endsWith('.*') ? '' : '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return source;
}
