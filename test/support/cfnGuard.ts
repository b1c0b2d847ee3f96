import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Template } from './template';

const run = promisify(execFile);

/** Where @cdklabs/cdk-validator-cfnguard keeps the cfn-guard binary and AWS Control Tower's proactive controls. */
const PACKAGE_DIR = dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json'));
const CFN_GUARD = join(PACKAGE_DIR, 'bin', 'ubuntu', 'x86_64', 'cfn-guard');
const CONTROLS_DIR = join(PACKAGE_DIR, 'rules', 'control-tower', 'cfn-guard');

/** cfn-guard's exit codes: every rule holds, some rule fails. Anything else is an error of the run itself. */
const EXIT_PASS = 0;
const EXIT_FAIL = 19;

/** One Control Tower proactive control: its id (CT.S3.PR.1), guard file and the resource types it reports on. */
export interface Control {
  id: string;
  file: string;
  resourceTypes: string[];
}

/** A control that fails, and on which resources (logical ids). */
export interface Violation {
  control: string;
  resources: string[];
}

/** Every proactive control the package ships, with the resource types its header says it reports on. */
export function controlTowerControls(): Control[] {
  return readdirSync(CONTROLS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((service) =>
      readdirSync(join(CONTROLS_DIR, service.name))
        .filter((name) => /^ct-[a-z0-9-]+\.guard$/.test(name))
        .map((name) => join(CONTROLS_DIR, service.name, name)),
    )
    .map((file) => ({ id: controlId(file), file, resourceTypes: reportedTypes(readFileSync(file, 'utf8'), file) }))
    .sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
}

/** `ct-s3-pr-1.guard` → `CT.S3.PR.1`, the id Control Tower and the control's own messages use. */
function controlId(file: string): string {
  return basename(file, '.guard').toUpperCase().replace(/-/g, '.');
}

/** The types listed under "Reports on:" in a control's header (indented lines, up to the next heading). */
function reportedTypes(text: string, file: string): string[] {
  const header = /^# Reports on:\n((?:#(?: {2,}.*)?\s*\n)+)/m.exec(text)?.[1];
  const types = header?.match(/AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/g) ?? [];
  if (types.length === 0) throw new Error(`${file}: no resource type under "Reports on:"`);
  return [...new Set(types)];
}

/** The controls that report on a resource type the template has. */
export function applicableControls(template: Template, controls: readonly Control[] = controlTowerControls()): Control[] {
  const types = new Set(Object.values(template.Resources).map((resource) => resource.Type));
  return controls.filter((control) => control.resourceTypes.some((type) => types.has(type)));
}

/**
 * Runs the controls on a template file with cfn-guard and returns the failing ones with their non-compliant
 * resources. A run that neither passes nor fails, or whose report cannot be read, throws: a check that
 * cannot tell must not pass.
 */
export async function validateTemplate(templateFile: string, controls: readonly Control[]): Promise<Violation[]> {
  if (controls.length === 0) return [];
  const args = ['validate', ...controls.flatMap((control) => ['-r', control.file]), '-d', templateFile, '-S', 'fail'];
  let exitCode = EXIT_PASS;
  let stdout = '';
  try {
    ({ stdout } = await run(CFN_GUARD, args, { maxBuffer: 64 * 1024 * 1024 }));
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (failed.code !== EXIT_FAIL) throw new Error(`cfn-guard exited ${String(failed.code)}: ${failed.stderr ?? ''}`);
    exitCode = EXIT_FAIL;
    stdout = failed.stdout ?? '';
  }
  const violations = parseReport(stdout);
  if ((exitCode === EXIT_FAIL) !== violations.length > 0)
    throw new Error(`cfn-guard exited ${exitCode} but its report names ${violations.length} failing controls:\n${stdout}`);
  return violations;
}

/** Reads cfn-guard's report: "Evaluating data F against rules ct-x.guard", then "Resource = Id {" lines. */
export function parseReport(report: string): Violation[] {
  const byControl = new Map<string, Set<string>>();
  let current: Set<string> | undefined;
  for (const line of report.split('\n')) {
    const rules = /^Evaluating data .* against rules (ct-[a-z0-9-]+)\.guard$/.exec(line)?.[1];
    if (rules) {
      const id = controlId(rules);
      current = byControl.get(id) ?? new Set();
      byControl.set(id, current);
      continue;
    }
    const resource = /^Resource = ([A-Za-z0-9]+) \{$/.exec(line)?.[1];
    if (resource && current) current.add(resource);
  }
  return [...byControl]
    .map(([control, resources]) => {
      if (resources.size === 0) throw new Error(`cfn-guard reports ${control} failing on no resource:\n${report}`);
      return { control, resources: [...resources].sort() };
    })
    .sort((a, b) => a.control.localeCompare(b.control, 'en', { numeric: true }));
}
