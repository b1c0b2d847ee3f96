import { createHash } from 'node:crypto';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PolicyCheckResult } from '../engine/checkPolicy';
import type { Severity } from '../findings/severity';
import type { Rule } from '../rules/types';

/**
 * `rolewatch check-policy --format sarif`: SARIF 2.1.0 (OASIS) for code scanning. One reportingDescriptor per
 * RoleWatch rule (help from its rationale and remediation, its control ids as tags), one result per finding,
 * located at the line of the policy statement it is about when the file is JSON and the statement is known,
 * else at the `Statement` element, else at line 1.
 */

/** One checked file: its path as given, its text when it could be read, and what the rules found in it. */
export interface SarifInput {
  path: string;
  text?: string;
  results: readonly PolicyCheckResult[];
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/** GitHub code scanning reads `security-severity` (0.1-3.9 low, 4-6.9 medium, 7-8.9 high, 9+ critical). */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '0.0',
};

const INFORMATION_URI = 'https://github.com/rolewatch/rolewatch';

/** The SARIF log of a check-policy run. `cwd` makes relative URIs (default: the process's). */
export function sarifLog(
  inputs: readonly SarifInput[],
  options: { rules: readonly Rule[]; version: string; unreadable?: readonly { path: string; message: string }[]; cwd?: string },
): Record<string, unknown> {
  const cwd = options.cwd ?? process.cwd();
  const index = new Map(options.rules.map((rule, i) => [rule.id, i]));
  const results = inputs.flatMap((input) => {
    const located = input.text === undefined ? undefined : locateStatements(input.text);
    const artifact = artifactLocation(input.path, cwd);
    return input.results.map((result) => sarifResult(result, artifact, located, index.get(result.ruleId)));
  });
  const unreadable = options.unreadable ?? [];
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'RoleWatch',
            informationUri: INFORMATION_URI,
            semanticVersion: options.version,
            rules: options.rules.map(reportingDescriptor),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: `${pathToFileURL(cwd).href.replace(/\/?$/, '/')}` } },
        invocations: [
          {
            executionSuccessful: unreadable.length === 0,
            toolExecutionNotifications: unreadable.map((file) => ({
              level: 'error',
              message: { text: `cannot read ${file.path}: ${file.message}` },
              locations: [{ physicalLocation: { artifactLocation: artifactLocation(file.path, cwd) } }],
            })),
          },
        ],
        results,
      },
    ],
  };
}

function reportingDescriptor(rule: Rule): Record<string, unknown> {
  const controls = rule.controls.length > 0 ? `\n\nControls: ${rule.controls.join(', ')}` : '';
  return {
    id: rule.id,
    name: rule.id.replace(/(^|-)([a-z0-9])/g, (_match, _dash: string, char: string) => char.toUpperCase()),
    shortDescription: { text: rule.title },
    fullDescription: { text: rule.rationale },
    help: {
      text: `${rule.rationale}\n\nHow to fix: ${rule.remediation}${controls}`,
      markdown: `${rule.rationale}\n\n**How to fix:** ${rule.remediation}${controls.replace('Controls:', '**Controls:**')}`,
    },
    defaultConfiguration: { level: LEVEL[rule.severity] },
    properties: {
      tags: ['security', 'iam', ...rule.controls],
      precision: 'high',
      'problem.severity': rule.severity === 'critical' || rule.severity === 'high' ? 'error' : 'warning',
      'security-severity': SECURITY_SEVERITY[rule.severity],
    },
  };
}

function sarifResult(
  result: PolicyCheckResult,
  artifact: Record<string, string>,
  located: StatementLines | undefined,
  ruleIndex: number | undefined,
): Record<string, unknown> {
  const lines = (result.statements ?? []).flatMap((statement) => {
    const line = located?.statements[statement];
    return line === undefined ? [] : [{ statement, line }];
  });
  const [first, ...others] = lines;
  const startLine = first?.line ?? located?.statementKey ?? 1;
  const location = (line: number) => ({ physicalLocation: { artifactLocation: artifact, region: { startLine: line } } });
  return {
    ruleId: result.ruleId,
    ...(ruleIndex !== undefined ? { ruleIndex } : {}),
    level: LEVEL[result.severity],
    message: { text: result.detail },
    locations: [location(startLine)],
    ...(others.length > 0
      ? {
          relatedLocations: others.map((other, i) => ({
            id: i + 1,
            ...location(other.line),
            message: { text: `statement ${other.statement}` },
          })),
        }
      : {}),
    partialFingerprints: {
      'rolewatch/v1': createHash('sha256').update(`${result.ruleId}\u0000${artifact.uri}\u0000${result.detail}`).digest('hex'),
    },
    properties: { severity: result.severity },
  };
}

/** A path relative to the working directory as a relative URI under %SRCROOT%; others as file: URIs. */
function artifactLocation(path: string, cwd: string): Record<string, string> {
  const absolute = resolve(cwd, path);
  const fromRoot = relative(cwd, absolute);
  if (fromRoot === '' || fromRoot.startsWith('..') || isAbsolute(fromRoot)) return { uri: pathToFileURL(absolute).href };
  return { uri: fromRoot.split(sep).map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
}

/** 1-based lines of a policy file: of its `Statement` element, and of each statement in it. */
export interface StatementLines {
  statementKey?: number;
  statements: number[];
}

/**
 * Where the statements of the policy in a JSON text are: the shallowest object with a `Statement` key (the
 * document itself, or one inside IAM API output or a CloudFormation template). Undefined when the text is
 * not JSON or holds no statements.
 */
export function locateStatements(text: string): StatementLines | undefined {
  let root: JsonNode;
  try {
    root = new PositionParser(text).parse();
  } catch {
    return undefined;
  }
  const line = lineIndex(text);
  let level: JsonNode[] = [root];
  while (level.length > 0) {
    for (const node of level) {
      const entry = node.kind === 'object' ? node.entries.find((candidate) => candidate.key === 'Statement') : undefined;
      if (!entry) continue;
      const value = entry.value;
      const starts = value.kind === 'array' ? value.items.map((item) => item.start) : [value.start];
      return { statementKey: line(entry.keyStart), statements: starts.map(line) };
    }
    level = level.flatMap(children);
  }
  return undefined;
}

type JsonNode =
  | { kind: 'object'; start: number; entries: { key: string; keyStart: number; value: JsonNode }[] }
  | { kind: 'array'; start: number; items: JsonNode[] }
  | { kind: 'scalar'; start: number };

function children(node: JsonNode): JsonNode[] {
  if (node.kind === 'object') return node.entries.map((entry) => entry.value);
  if (node.kind === 'array') return node.items;
  return [];
}

/** Offset → 1-based line number. */
function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
}

const LITERAL = /true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON strings may not hold raw control characters
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

/** A JSON parser that keeps where each value starts; throws on anything JSON.parse would refuse. */
class PositionParser {
  private at = 0;
  private depth = 0;

  constructor(private readonly text: string) {}

  parse(): JsonNode {
    const node = this.value();
    this.space();
    if (this.at !== this.text.length) this.fail();
    return node;
  }

  private value(): JsonNode {
    this.space();
    const start = this.at;
    const char = this.text[this.at];
    if (char === '{' || char === '[') {
      // Policies nest a few levels; a hostile file nesting thousands must not overflow the stack.
      if (++this.depth > 256) this.fail();
      const node = char === '{' ? this.object(start) : this.array(start);
      this.depth -= 1;
      return node;
    }
    if (char === '"') {
      this.string();
      return { kind: 'scalar', start };
    }
    LITERAL.lastIndex = this.at;
    const literal = LITERAL.exec(this.text);
    if (!literal) this.fail();
    this.at += literal[0].length;
    return { kind: 'scalar', start };
  }

  private object(start: number): JsonNode {
    this.at += 1;
    const entries: { key: string; keyStart: number; value: JsonNode }[] = [];
    this.space();
    if (this.text[this.at] === '}') {
      this.at += 1;
      return { kind: 'object', start, entries };
    }
    for (;;) {
      this.space();
      const keyStart = this.at;
      if (this.text[this.at] !== '"') this.fail();
      const key = this.string();
      this.space();
      if (this.text[this.at] !== ':') this.fail();
      this.at += 1;
      entries.push({ key, keyStart, value: this.value() });
      this.space();
      const next = this.text[this.at++];
      if (next === '}') return { kind: 'object', start, entries };
      if (next !== ',') this.fail();
    }
  }

  private array(start: number): JsonNode {
    this.at += 1;
    const items: JsonNode[] = [];
    this.space();
    if (this.text[this.at] === ']') {
      this.at += 1;
      return { kind: 'array', start, items };
    }
    for (;;) {
      items.push(this.value());
      this.space();
      const next = this.text[this.at++];
      if (next === ']') return { kind: 'array', start, items };
      if (next !== ',') this.fail();
    }
  }

  private string(): string {
    STRING.lastIndex = this.at;
    const match = STRING.exec(this.text);
    if (!match) this.fail();
    this.at += match[0].length;
    return JSON.parse(match[0]) as string;
  }

  private space(): void {
    while (this.at < this.text.length && ' \t\n\r'.includes(this.text[this.at] as string)) this.at += 1;
  }

  private fail(): never {
    throw new SyntaxError(`not JSON at offset ${this.at}`);
  }
}
