import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { forwarderTemplate, memberTemplate } from '../../shared/deploy/forwarder';
import { applicableControls, controlTowerControls, parseReport, type Violation, validateTemplate } from '../support/cfnGuard';
import { ROOT, resolveIntrinsics, type Template, usePackagedService } from '../support/template';

// AWS Control Tower's proactive controls, as CloudFormation hooks would run them on RoleWatch's stacks.

const STACKS = ['main', 'main-create', 'forwarder', 'member'] as const;
type Stack = (typeof STACKS)[number];

const EXCEPTIONS_FILE = join(ROOT, 'shared/deploy/proactiveControlExceptions.yml');
const exceptionSchema = z.array(
  z.strictObject({
    control: z.string().regex(/^CT\.[A-Z0-9]+\.PR\.\d+$/),
    stacks: z.array(z.enum(STACKS)).min(1),
    resources: z.array(z.string().min(1)).min(1),
    reason: z.string().min(40),
  }),
);
const exceptions = exceptionSchema.parse(parse(readFileSync(EXCEPTIONS_FILE, 'utf8')));

// Packaged with the defaults a deployment gets (no --param).
const service = usePackagedService({ stage: 'controls' });
const dir = mkdtempSync(join(tmpdir(), 'rolewatch-controls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function templateFile(stack: Stack): string {
  switch (stack) {
    case 'main':
      return join(service.dir, 'cloudformation-template-update-stack.json');
    case 'main-create':
      return join(service.dir, 'cloudformation-template-create-stack.json');
    case 'forwarder':
      return written('forwarder.json', forwarderTemplate('eu-west-1'));
    case 'member':
      return written(
        'member.json',
        memberTemplate({
          targetBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/rolewatch-prod-organization',
          stage: 'prod',
        }),
      );
  }
}

function written(name: string, template: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(template, null, 2));
  return file;
}

const readTemplate = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Template;

/** The violations no exception covers. */
function unexcepted(stack: Stack, violations: readonly Violation[]): Violation[] {
  return violations
    .map((violation) => {
      const excused = exceptions.filter((e) => e.control === violation.control && e.stacks.includes(stack));
      const resources = violation.resources.filter(
        (resource) => !excused.some((e) => e.resources.includes('*') || e.resources.includes(resource)),
      );
      return { control: violation.control, resources };
    })
    .filter((violation) => violation.resources.length > 0);
}

/** The exceptions of a stack that match no violation: the control passes now, the entry must go. */
function staleExceptions(stack: Stack, violations: readonly Violation[]): string[] {
  return exceptions
    .filter((e) => e.stacks.includes(stack))
    .flatMap((e) => {
      const violation = violations.find((v) => v.control === e.control);
      if (!violation) return [`${e.control}: passes`];
      if (e.resources.includes('*')) return [];
      return e.resources.filter((r) => !violation.resources.includes(r)).map((r) => `${e.control} ${r}: passes`);
    });
}

const results = new Map<Stack, { template: Template; controls: string[]; violations: Violation[] }>();
beforeAll(async () => {
  for (const stack of STACKS) {
    const file = templateFile(stack);
    const template = readTemplate(file);
    const controls = applicableControls(template);
    results.set(stack, { template, controls: controls.map((c) => c.id), violations: await validateTemplate(file, controls) });
  }
}, 60_000);

function result(stack: Stack) {
  const found = results.get(stack);
  if (!found) throw new Error(`${stack} was not checked (see the error of beforeAll)`);
  return found;
}

describe('AWS Control Tower proactive controls', () => {
  it('ship with the package: more than two hundred controls, each reporting on resource types', () => {
    const controls = controlTowerControls();
    expect(controls.length).toBeGreaterThan(200);
    expect(controls.find((c) => c.id === 'CT.S3.PR.1')?.resourceTypes).toEqual(['AWS::S3::Bucket']);
  });

  it.each(STACKS)('%s: every applicable control passes or is an exception on record', (stack) => {
    const { violations } = result(stack);
    expect(unexcepted(stack, violations)).toEqual([]);
  });

  it.each(STACKS)('%s: every exception on record is still needed', (stack) => {
    expect(staleExceptions(stack, result(stack).violations)).toEqual([]);
  });

  it('apply to every service the main stack uses that Control Tower covers', () => {
    expect(result('main').controls).toEqual(
      expect.arrayContaining([
        'CT.APIGATEWAY.PR.4',
        'CT.CLOUDWATCH.PR.2',
        'CT.CLOUDWATCH.PR.3',
        'CT.DYNAMODB.PR.1',
        'CT.KMS.PR.3',
        'CT.LAMBDA.PR.2',
        'CT.LAMBDA.PR.3',
        'CT.S3.PR.1',
        'CT.S3.PR.8',
        'CT.S3.PR.10',
        'CT.S3.PR.11',
        'CT.SQS.PR.1',
      ]),
    );
    expect(result('member').controls).toEqual(expect.arrayContaining(['CT.IAM.PR.1', 'CT.SQS.PR.1']));
  });

  it('the HTTP API permission the CT.LAMBDA.PR.2 exception covers lets only this stack’s API invoke', () => {
    const { template } = result('main');
    const permission = template.Resources.ReportDashapiLambdaPermissionHttpApi?.Properties ?? {};
    expect(permission.Principal).toBe('apigateway.amazonaws.com');
    expect(resolveIntrinsics(template, permission.SourceArn)).toMatch(
      /^arn:aws:execute-api:us-east-1:123456789012:rolewatch-test-HttpApi-[0-9A-F]+\/\*$/,
    );
  });

  it('fail a template that loses a fix: a deployment bucket open to public access', async () => {
    const template = structuredClone(result('main').template);
    const bucket = template.Resources.ServerlessDeploymentBucket?.Properties ?? {};
    delete bucket.PublicAccessBlockConfiguration;
    const file = written('open-bucket.json', template);
    const violations = await validateTemplate(file, applicableControls(template));
    expect(unexcepted('main', violations)).toEqual([{ control: 'CT.S3.PR.1', resources: ['ServerlessDeploymentBucket'] }]);
    // cfn-guard over every applicable control: well under a second alone, much more on a loaded machine.
  }, 60_000);

  it('read cfn-guard reports control by control, and refuse a failing control with no resource', () => {
    const report = [
      'x.json Status = FAIL',
      'Evaluating data x.json against rules ct-s3-pr-1.guard',
      'Number of non-compliant resources 1',
      'Resource = Bucket {',
      '  Type      = AWS::S3::Bucket',
      'Evaluating data x.json against rules ct-sqs-pr-1.guard',
      'Resource = QueueB {',
      'Resource = QueueA {',
    ].join('\n');
    expect(parseReport(report)).toEqual([
      { control: 'CT.S3.PR.1', resources: ['Bucket'] },
      { control: 'CT.SQS.PR.1', resources: ['QueueA', 'QueueB'] },
    ]);
    expect(() => parseReport('Evaluating data x.json against rules ct-s3-pr-1.guard\n')).toThrow(/no resource/);
  });
});
