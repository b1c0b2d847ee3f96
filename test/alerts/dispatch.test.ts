import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dispatchAlerts, dispatchPending } from '../../shared/alerts/dispatch';
import { parseTrailRecord } from '../../shared/cloudtrail/parse';
import { validateConfig } from '../../shared/config/config';
import { createMemoryContext } from '../../shared/context';
import type { Finding } from '../../shared/findings/finding';
import { type Alert, AlertDeliveryError, type AlertPublisher } from '../../shared/ports/alertPublisher';
import { RULE_IDS } from '../../shared/rules/index';
import { MemoryStore } from '../../shared/store/MemoryStore';
import { ALERT_FIXTURES, draft, finding } from './support';

const NOW = Date.parse('2026-03-02T09:00:07Z');

/** Records what it publishes; fails while `failures` is positive (an SNS outage). */
class FakePublisher implements AlertPublisher {
  readonly published: Alert[] = [];
  failures = 0;
  attempts = 0;

  async publish(alert: Alert): Promise<void> {
    this.attempts += 1;
    if (this.failures > 0) {
      this.failures -= 1;
      throw new AlertDeliveryError('SNS unavailable');
    }
    this.published.push(alert);
  }
}

function setup() {
  const store = new MemoryStore();
  const publisher = new FakePublisher();
  const deps = { publisher, findings: store, now: () => NOW, apiUrl: 'https://api.example.com' };
  return { store, publisher, deps };
}

describe('dispatchAlerts', () => {
  it('sends only the findings whose alert is pending', async () => {
    const { store, publisher, deps } = setup();
    const opened = await store.record(draft({ id: 'critical-one' }), { alert: true });
    const belowThreshold = await store.record(draft({ id: 'info-one', severity: 'info' }), { alert: false });
    const suppressed = await store.record(draft({ id: 'suppressed-one' }), {
      alert: true,
      suppression: { reason: 'known', by: 'config' },
    });

    await expect(dispatchAlerts([opened, belowThreshold, suppressed], deps)).resolves.toEqual({ sent: 1 });
    expect(publisher.published.map((alert) => alert.json.id)).toEqual(['critical-one']);
  });

  it('marks a finding sent, at the time and severity it was sent, after publishing it', async () => {
    const { store, publisher, deps } = setup();
    const order: string[] = [];
    const recorded = await store.record(draft(), { alert: true });
    await dispatchAlerts([recorded], {
      ...deps,
      publisher: { publish: async (alert) => void order.push(`publish ${alert.json.id}`) },
      findings: {
        markAlerted: async (id, at, severity) => {
          order.push(`mark ${id}`);
          await store.markAlerted(id, at, severity);
        },
      },
    });
    expect(order).toEqual([`publish ${recorded.finding.id}`, `mark ${recorded.finding.id}`]);
    expect((await store.get(recorded.finding.id))?.alert).toEqual({ state: 'sent', sentAt: NOW, severity: 'critical' });
    expect(publisher.published).toHaveLength(0);
  });

  it('sends nothing for repeats and duplicates of a finding already alerted', async () => {
    const { store, publisher, deps } = setup();
    await dispatchAlerts([await store.record(draft(), { alert: true })], deps);
    const repeat = await store.record(
      draft({ at: NOW + 60_000, event: { ...draft().event, eventId: 'e2', eventName: 'X', eventTime: 'x', region: 'r' } }),
      { alert: true },
    );
    const duplicate = await store.record(draft(), { alert: true });
    expect([repeat.transition, duplicate.transition]).toEqual(['repeated', 'duplicate']);

    await expect(dispatchAlerts([repeat, duplicate], deps)).resolves.toEqual({ sent: 0 });
    expect(publisher.published).toHaveLength(1);
  });

  it('sends a finding recorded twice in one batch once, saying why it first alerted', async () => {
    const { store, publisher, deps } = setup();
    const opened = await store.record(draft(), { alert: true });
    const again = await store.record(
      draft({ at: NOW, event: { ...draft().event, eventId: 'e2', eventName: 'X', eventTime: 'x', region: 'r' } }),
      { alert: true },
    );
    await expect(dispatchAlerts([opened, again], deps)).resolves.toEqual({ sent: 1 });
    expect(publisher.published[0]?.json).toMatchObject({ transition: 'opened', count: 2 });
  });

  it('sends again, as escalated, a finding whose severity rose after it was alerted', async () => {
    const { store, publisher, deps } = setup();
    await dispatchAlerts([await store.record(draft({ severity: 'high' }), { alert: true })], deps);
    const escalated = await store.record(
      draft({
        severity: 'critical',
        at: NOW,
        event: { ...draft().event, eventId: 'e2', eventName: 'X', eventTime: 'x', region: 'r' },
      }),
      { alert: true },
    );
    expect(escalated.transition).toBe('escalated');
    await dispatchAlerts([escalated], deps);
    expect(publisher.published.map((alert) => alert.subject)).toEqual([
      '[HIGH] RoleWatch: role deploy-bot now trusts any principal (123456789012)',
      '[CRITICAL] RoleWatch: escalated: role deploy-bot now trusts any principal (123456789012)',
    ]);
  });

  it('throws when publishing fails and leaves the finding pending, not marked', async () => {
    const { store, publisher, deps } = setup();
    publisher.failures = 1;
    const recorded = await store.record(draft(), { alert: true });
    const markAlerted = jest.spyOn(store, 'markAlerted');

    await expect(dispatchAlerts([recorded], deps)).rejects.toBeInstanceOf(AlertDeliveryError);
    expect(markAlerted).not.toHaveBeenCalled();
    expect((await store.get(recorded.finding.id))?.alert.state).toBe('pending');
  });

  it('still sends the other alerts when one fails, most severe first, and throws afterwards', async () => {
    const { store, publisher, deps } = setup();
    publisher.failures = 1;
    const high = await store.record(draft({ id: 'high-one', severity: 'high' }), { alert: true });
    const critical = await store.record(draft({ id: 'critical-one', severity: 'critical' }), { alert: true });

    await expect(dispatchAlerts([high, critical], deps)).rejects.toThrow(/1 of 2 alert\(s\) not delivered \(critical-one\)/);
    expect(publisher.published.map((alert) => alert.json.id)).toEqual(['high-one']);
    expect((await store.get('critical-one'))?.alert.state).toBe('pending');
    expect((await store.get('high-one'))?.alert.state).toBe('sent');
  });

  it('sends exactly once overall when the retried event records the finding again after recovery', async () => {
    const { store, publisher, deps } = setup();
    publisher.failures = 1;
    await expect(dispatchAlerts([await store.record(draft(), { alert: true })], deps)).rejects.toThrow();

    const retried = await store.record(draft(), { alert: true });
    expect(retried.transition).toBe('duplicate');
    await expect(dispatchAlerts([retried], deps)).resolves.toEqual({ sent: 1 });
    await expect(dispatchAlerts([await store.record(draft(), { alert: true })], deps)).resolves.toEqual({ sent: 0 });

    expect(publisher.attempts).toBe(2);
    expect(publisher.published).toHaveLength(1);
    expect(publisher.published[0]?.json.transition).toBe('opened');
  });

  it('throws, and the retry sends the alert again, when marking it sent fails after publishing', async () => {
    const { store, publisher, deps } = setup();
    const recorded = await store.record(draft(), { alert: true });
    jest.spyOn(store, 'markAlerted').mockRejectedValueOnce(new Error('DynamoDB throttled'));
    await expect(dispatchAlerts([recorded], deps)).rejects.toThrow(/published but not marked sent/);
    await dispatchAlerts([await store.record(draft(), { alert: true })], deps);
    // At least once: a crash between publish and mark may repeat an alert, never lose it.
    expect(publisher.published).toHaveLength(2);
  });
});

describe('dispatchAlerts behind the engine (notify before the event counts as processed)', () => {
  it('sends the alert exactly once across a failed delivery and two redeliveries of the event', async () => {
    const fixture = JSON.parse(readFileSync(path.join(ALERT_FIXTURES, 'trust-any-principal.events.json'), 'utf8')) as {
      events: unknown[];
    };
    const base = JSON.parse(readFileSync(path.join(ALERT_FIXTURES, 'config.json'), 'utf8')) as Record<string, unknown>;
    const publisher = new FakePublisher();
    publisher.failures = 1;
    const context = createMemoryContext({
      config: validateConfig(base, RULE_IDS),
      notify: async (recorded) => {
        await dispatchAlerts(recorded, { publisher, findings: context.store, now: () => NOW });
      },
    });
    const event = parseTrailRecord(fixture.events[0]);

    await expect(context.engine.process(event)).rejects.toBeInstanceOf(AlertDeliveryError);
    await context.engine.process(event);
    await context.engine.process(event);

    expect(publisher.published.map((alert) => alert.subject)).toEqual([
      '[CRITICAL] RoleWatch: role shared-reader now trusts any principal (123456789012)',
    ]);
    const stored = (await context.store.allFindings()).find((f) => f.ruleId === 'trust-any-principal');
    expect(stored?.alert).toEqual({ state: 'sent', sentAt: NOW, severity: 'critical' });
  });
});

describe('dispatchPending', () => {
  it('sends the findings still pending, with the reason read from each, and skips the others', async () => {
    const { publisher, deps } = setup();
    const pendings: Finding[] = [
      finding({ id: 'never-sent' }),
      finding({ id: 'escalated', severity: 'critical', alert: { state: 'pending', sentAt: 1, severity: 'high' } }),
      finding({ id: 'reopened', severity: 'high', alert: { state: 'pending', sentAt: 1, severity: 'high' } }),
      finding({ id: 'already-sent', alert: { state: 'sent', sentAt: 1, severity: 'critical' } }),
      finding({ id: 'not-alerting', alert: { state: 'none' } }),
    ];
    const store = new MemoryStore();
    await expect(dispatchPending(pendings, { ...deps, findings: store })).resolves.toEqual({ sent: 3 });
    expect(publisher.published.map((alert) => [alert.json.id, alert.json.transition])).toEqual([
      ['never-sent', 'opened'],
      ['escalated', 'escalated'],
      ['reopened', 'reopened'],
    ]);
  });
});
