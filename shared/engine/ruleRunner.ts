import type { TrailEvent } from '../cloudtrail/types';
import type { Config } from '../config/config';
import type { FindingDraft } from '../findings/finding';
import type { Rule, RuleContext, RuleMatch } from '../rules/types';
import { draftFinding } from './draft';

/** Where the engine reports a rule that threw or an event it had to skip. */
export interface EngineLogger {
  warn(message: string, data?: Record<string, unknown>): void;
}

/** What a finding is about, for the drafts of one rule run. */
export interface DraftPlace {
  account: string;
  resource: string;
  roleName?: string;
  at: number;
}

/**
 * Running rules: the enabled rules indexed by the events they listen to, and a run that turns matches into
 * finding drafts. A rule that throws is logged and skipped; it never stops the others.
 */
export class RuleRunner {
  private readonly byEvent = new Map<string, Rule[]>();
  /** Rules describing a role's state: re-checked on every change, resolved when they no longer hold. */
  readonly posture: readonly Rule[];
  /** Assumption rules that judge an assumption by the trust change before it (they see late trust changes). */
  readonly correlating: readonly Rule[];
  /** Ids of the correlating rules. */
  readonly correlatingIds: ReadonlySet<string>;
  /** Sources of the assumptions correlating rules may judge again: only those are kept with their event. */
  readonly correlatedSources: ReadonlySet<string>;

  constructor(
    rules: readonly Rule[],
    private readonly config: Config,
    private readonly logger?: EngineLogger,
  ) {
    const enabled = rules.filter((rule) => config.rules[rule.id]?.enabled !== false);
    for (const rule of enabled) {
      for (const name of rule.events) {
        const list = this.byEvent.get(name) ?? [];
        list.push(rule);
        this.byEvent.set(name, list);
      }
    }
    this.posture = enabled.filter((rule) => rule.kind === 'posture');
    this.correlating = enabled.filter((rule) => rule.correlatesTrustChanges);
    this.correlatingIds = new Set(this.correlating.map((rule) => rule.id));
    this.correlatedSources = new Set(this.correlating.flatMap((rule) => rule.correlatesTrustChanges ?? []));
  }

  /** True when some enabled rule listens to this event name. */
  listensTo(eventName: string): boolean {
    return this.byEvent.has(eventName);
  }

  /** The enabled rules listening to an event name. */
  forEvent(eventName: string): readonly Rule[] {
    return this.byEvent.get(eventName) ?? NONE;
  }

  /** Runs `rules` (by default those listening to the event) and drafts a finding for every match. */
  run(
    event: TrailEvent | undefined,
    context: RuleContext,
    where: DraftPlace,
    rules: readonly Rule[] = event ? this.forEvent(event.eventName) : NONE,
  ): FindingDraft[] {
    const drafts: FindingDraft[] = [];
    for (const rule of rules) {
      const matches = this.evaluate(rule, context);
      if (matches.length === 0) continue;
      const place = event ? { ...where, event } : where;
      for (const match of matches) drafts.push(draftFinding(rule, match, place, this.config));
    }
    return drafts;
  }

  /** One rule on one context; a rule that throws is logged and finds nothing. */
  evaluate(rule: Rule, context: RuleContext): RuleMatch[] {
    try {
      return rule.evaluate(context);
    } catch (error) {
      this.logger?.warn('rule failed; skipped', {
        ruleId: rule.id,
        eventId: context.event?.eventId,
        error: error instanceof Error ? error.message : String(error),
      });
      return [];
    }
  }
}

const NONE: readonly Rule[] = [];
