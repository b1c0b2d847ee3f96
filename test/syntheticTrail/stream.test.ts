import { parseTrailRecord } from '../../shared/cloudtrail/parse';
import { generateStream } from '../../shared/syntheticTrail/stream';

describe('generateStream', () => {
  it('is the same stream for the same seed, and another for another seed', () => {
    const first = generateStream(400, 42);
    expect(generateStream(400, 42)).toEqual(first);
    const other = generateStream(400, 43);
    expect(other.map((r) => r.eventID)).not.toEqual(first.map((r) => r.eventID));
  });

  describe('on 20,000 events', () => {
    const records = generateStream(20_000, 7);
    const share = (predicate: (record: Record<string, unknown>) => boolean) => records.filter(predicate).length / records.length;

    it("is mostly other services' calls, a third AssumeRole, with web identity, IAM role changes and failed calls", () => {
      expect(records).toHaveLength(20_000);
      const iam = (r: Record<string, unknown>) => r.eventSource === 'iam.amazonaws.com' && r.eventName !== 'GetRole';
      expect(share((r) => r.eventName === 'AssumeRole')).toBeGreaterThan(0.33);
      expect(share((r) => r.eventName === 'AssumeRole')).toBeLessThan(0.4);
      expect(share((r) => r.readOnly === true && r.eventSource !== 'sts.amazonaws.com')).toBeGreaterThan(0.45);
      expect(share((r) => r.eventName === 'AssumeRoleWithWebIdentity')).toBeGreaterThan(0.01);
      expect(share((r) => r.eventName === 'AssumeRoleWithWebIdentity')).toBeLessThan(0.03);
      expect(share(iam)).toBeGreaterThan(0.005);
      expect(share(iam)).toBeLessThan(0.02);
      expect(share((r) => r.errorCode !== undefined)).toBeGreaterThan(0.002);
      expect(share((r) => r.errorCode !== undefined)).toBeLessThan(0.01);
    });

    it('spreads the role changes over a few hundred roles, and has services and people assuming roles', () => {
      const changed = new Set(
        records
          .filter((r) => r.eventSource === 'iam.amazonaws.com' && r.eventName !== 'GetRole')
          .map((r) => (r.requestParameters as { roleName?: string }).roleName),
      );
      expect(changed.size).toBeGreaterThan(100);
      const callers = new Set(
        records.filter((r) => r.eventName === 'AssumeRole').map((r) => (r.userIdentity as { type: string }).type),
      );
      expect([...callers].sort()).toEqual(['AWSAccount', 'AWSService', 'AssumedRole', 'IAMUser']);
    });

    it('has records that all parse, in eventTime order, with unique eventIDs', () => {
      const events = records.map((record) => parseTrailRecord(record));
      expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
      expect(events.every((e, i) => i === 0 || e.time >= (events[i - 1]?.time ?? 0))).toBe(true);
    });

    it('has records of 1 to 3 KB, like real CloudTrail', () => {
      const sizes = records.map((r) => JSON.stringify(r).length).sort((a, b) => a - b);
      const mean = sizes.reduce((sum, size) => sum + size, 0) / sizes.length;
      expect(sizes[0]).toBeGreaterThanOrEqual(900);
      expect(mean).toBeGreaterThan(1500);
      expect(mean).toBeLessThan(2600);
      expect(sizes[Math.floor(sizes.length * 0.99)]).toBeLessThanOrEqual(3200);
    });
  });
});
