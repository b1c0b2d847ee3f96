import { isRecord, listOf, packageService, resolveIntrinsics, resourcesOfType, usePackagedService } from '../support/template';

// Deployment parameters of the logs and the heartbeat, away from their defaults (template.test.ts checks those).
const service = usePackagedService({
  stage: 'test',
  params: { logRetentionDays: '90', logEncryption: 'false', noEventAlarmHours: '6' },
});

describe('deployment parameters', () => {
  it('logRetentionDays sets the retention of every log group; logEncryption=false leaves them to CloudWatch’s own encryption', () => {
    const groups = resourcesOfType(service.template, 'AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThanOrEqual(6);
    for (const [logicalId, group] of groups) {
      const properties = resolveIntrinsics(service.template, group.Properties) as Record<string, unknown>;
      expect({ logicalId, retention: properties.RetentionInDays, key: properties.KmsKeyId }).toEqual({
        logicalId,
        retention: 90,
        key: undefined,
      });
    }
    const keyPolicy = resolveIntrinsics(service.template, service.template.Resources.AlertTopicKey?.Properties?.KeyPolicy);
    const services = listOf(isRecord(keyPolicy) ? keyPolicy.Statement : undefined)
      .filter(isRecord)
      .map((statement) => (isRecord(statement.Principal) ? statement.Principal.Service : undefined));
    expect(services).toEqual([undefined, undefined, 'cloudwatch.amazonaws.com']);
  });

  it('noEventAlarmHours sets how many silent hours raise the heartbeat alarm', () => {
    expect(service.template.Resources.NoAssumptionEventsAlarm?.Properties).toMatchObject({
      Period: 3600,
      EvaluationPeriods: 6,
      DatapointsToAlarm: 6,
    });
  });

  it.each([
    ['logRetentionDays', '42', /CloudWatch Logs keeps logs for/],
    ['noEventAlarmHours', '0', /from 1 to 168/],
  ])(
    'refuses %s=%s when packaging',
    async (name, value, message) => {
      await expect(packageService({ stage: 'test', params: { [name]: value } })).rejects.toThrow(message);
    },
    120_000,
  );
});
