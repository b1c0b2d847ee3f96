import { eventPatterns, MAX_PATTERN_CHARS, watchedEvents } from '../../shared/deploy/eventPatterns';
import { RULES } from '../../shared/rules/index';

/** Rules about the ways into a role's power beyond its own IAM calls: each records where AWS documents its events. */
const ACCESS_PATH_RULES = RULES.filter((rule) => rule.references !== undefined);

describe('EventBridge patterns derived from the registry', () => {
  it.each(Object.entries(eventPatterns()))('keeps %s within the pattern size EventBridge accepts', (_name, pattern) => {
    expect(JSON.stringify(pattern).length).toBeLessThanOrEqual(MAX_PATTERN_CHARS);
  });

  it("names each rule's calls under the event source the rule declares, not IAM's", () => {
    const patterns = Object.values(eventPatterns());
    for (const rule of RULES.filter((r) => r.source !== undefined)) {
      for (const name of rule.events) {
        const carrying = patterns.filter(
          (pattern) => pattern.detail.eventSource.includes(rule.source ?? '') && pattern.detail.eventName.includes(name),
        );
        expect({ rule: rule.id, name, carried: carrying.length > 0 }).toEqual({ rule: rule.id, name, carried: true });
      }
    }
  });

  it('keeps every read-only call but the assume calls out of the patterns', () => {
    const sts = eventPatterns().roleAssumptions;
    expect(sts.detail.eventSource).toEqual(['sts.amazonaws.com']);
    expect(
      watchedEvents()
        .filter((event) => event.source === 'sts.amazonaws.com')
        .map((event) => event.name)
        .sort(),
    ).toEqual([...sts.detail.eventName].sort());
  });

  it('carries the regional services in the pattern forwarded from every region', () => {
    const regional = eventPatterns().monitorTampering.detail.eventSource;
    for (const source of ['rolesanywhere.amazonaws.com', 'sso.amazonaws.com']) expect(regional).toContain(source);
  });

  it('records where AWS documents the events of every rule about other ways into a role', () => {
    expect(ACCESS_PATH_RULES.length).toBeGreaterThan(0);
    for (const rule of ACCESS_PATH_RULES) {
      for (const link of rule.references ?? []) expect(link).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
    }
  });
});
