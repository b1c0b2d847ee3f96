import fc from 'fast-check';
import { parseTrailRecord } from '../../shared/cloudtrail/parse';
import { validateConfig } from '../../shared/config/config';
import { createMemoryContext } from '../../shared/context';
import { watchedEvents } from '../../shared/deploy/eventPatterns';
import { InvalidEventError } from '../../shared/errors';
import { RULE_IDS, RULES } from '../../shared/rules/index';

/**
 * The rules about other ways into a role read request and response fields of many services: whatever those
 * hold (wrong types, missing, nested oddly, hostile strings), a rule never throws and the engine never fails.
 */
const NAMES = new Set(RULES.filter((rule) => rule.references !== undefined).flatMap((rule) => rule.events));
const CALLS = watchedEvents().filter((event) => NAMES.has(event.name));

const leaf = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    'arn:aws:iam::123456789012:role/admin',
    'r-a1b2',
    'ou-a1b2-f6g7h8i9',
    'AWS_ACM_PCA',
    'system:masters',
    '{"Statement":[',
  ),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 12 }), tie('node'), { maxKeys: 4 }),
  ),
})).node;
const KEYS = [
  'roleArn',
  'roleArns',
  'policyId',
  'targetId',
  'content',
  'permissionSetArn',
  'inlinePolicy',
  'managedPolicyArn',
  'bucketName',
  'name',
  'trailName',
  'eventSelectors',
  'advancedEventSelectors',
  'roleName',
  'maxSessionDuration',
  'principalArn',
  'policyArn',
  'accessScope',
  'kubernetesGroups',
  'source',
  'taskPolicyArn',
  'targetPrincipal',
  'role',
  'LifecycleConfiguration',
  'bucketPolicy',
];
const fields = fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 6 });
const wrapped = fc.dictionary(
  fc.constantFrom('trustAnchor', 'profile', 'policy', 'permissionSet', 'association', 'accessEntry'),
  fields,
  { maxKeys: 2 },
);

describe('rules about other ways into a role, on arbitrary request and response fields', () => {
  it('never throw, and the engine records or ignores every such event', async () => {
    const warnings: string[] = [];
    const { engine } = createMemoryContext({
      config: validateConfig({ protectedRoles: ['admin'] }, RULE_IDS),
      logger: { warn: (message, data) => warnings.push(`${message} ${JSON.stringify(data)}`) },
    });
    let n = 0;
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CALLS), fields, fc.oneof(fields, wrapped), async (call, request, response) => {
        n += 1;
        // A record whose identifiers IAM would refuse is malformed: reported and skipped, never state.
        let event: ReturnType<typeof parseTrailRecord>;
        try {
          event = parseTrailRecord({
            eventVersion: '1.09',
            eventID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
            eventTime: '2026-05-04T09:00:00Z',
            eventSource: call.source,
            eventName: call.name,
            awsRegion: 'eu-west-1',
            recipientAccountId: '123456789012',
            readOnly: call.source === 'sts.amazonaws.com',
            userIdentity: { type: 'Root', arn: 'arn:aws:iam::123456789012:root', accountId: '123456789012' },
            requestParameters: request,
            responseElements: response,
          });
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidEventError);
          rejected += 1;
          return;
        }
        const result = await engine.process(event);
        expect(['processed', 'ignored']).toContain(result.status);
      }),
      { numRuns: 300 },
    );
    expect(warnings).toEqual([]);
    // Most generated records are well formed enough to reach the rules.
    expect(rejected).toBeLessThan(n / 2);
  });
});
