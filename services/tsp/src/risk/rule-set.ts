import { Engine, type RuleProperties, type TopLevelCondition } from 'json-rules-engine';
import type { components } from '@opentsp/api-types';
import { ENGINE_OPTIONS, engineOperator, resolvePath, type EngineOperator } from './engine-options';
import type { RiskEvaluationPoint, RiskFacts } from './signals';

export type RiskRuleOutcome = components['schemas']['RiskRuleOutcome'];
export type RiskOutcome = components['schemas']['RiskOutcome'];

/** One version of a rule, as stored and as the admin API shows it. */
export interface RiskRuleDocument {
  ruleId: string;
  version: number;
  name: string;
  description?: string;
  enabled: boolean;
  priority: number;
  appliesTo: RiskEvaluationPoint[];
  conditions: Record<string, unknown>;
  outcome: RiskRuleOutcome;
  reasonCode: string;
  createdAt: string;
  createdBy: string;
}

export interface FiredRule {
  ruleId: string;
  version: number;
  reasonCode: string;
  outcome: RiskRuleOutcome;
}

/** A necessary condition of a rule: a leaf of its top-level `all` chain with a literal value. */
interface Guard {
  key: string;
  fact: keyof RiskFacts;
  path: string | undefined;
  operator: EngineOperator;
  value: unknown;
}

interface CompiledRule {
  rule: RiskRuleDocument;
  guards: Guard[];
  properties: RuleProperties;
}

type ConditionNode = Record<string, unknown>;

/**
 * Collects the leaves every match must satisfy: the literal-valued leaves of the top-level
 * `all`, and of `all`s nested directly in it. `any`, `not` and fact-to-fact comparisons give no
 * guard (such rules are always handed to the engine).
 */
function necessaryLeaves(node: ConditionNode, into: ConditionNode[] = []): ConditionNode[] {
  const all = node.all;
  if (!Array.isArray(all)) return into;
  for (const child of all as ConditionNode[]) {
    if (Array.isArray(child.all)) necessaryLeaves(child, into);
    else if (typeof child.fact === 'string' && typeof child.operator === 'string' && !('params' in child)) {
      const value = child.value;
      const isFactReference = value !== null && typeof value === 'object' && !Array.isArray(value);
      if (!isFactReference) into.push(child);
    }
  }
  return into;
}

function compile(rule: RiskRuleDocument): CompiledRule {
  const guards: Guard[] = [];
  for (const leaf of necessaryLeaves(rule.conditions)) {
    const operator = engineOperator(leaf.operator as string);
    if (!operator) continue;
    const path = typeof leaf.path === 'string' && leaf.path !== '' ? leaf.path : undefined;
    guards.push({
      key: `${leaf.fact as string}|${path ?? ''}|${leaf.operator as string}|${JSON.stringify(leaf.value)}`,
      fact: leaf.fact as keyof RiskFacts,
      path,
      operator,
      value: leaf.value,
    });
  }
  return {
    rule,
    guards,
    properties: {
      name: `${rule.ruleId}@${rule.version}`,
      priority: Math.max(1, rule.priority),
      conditions: structuredClone(rule.conditions) as unknown as TopLevelCondition,
      event: { type: 'risk_rule', params: { ruleId: rule.ruleId } },
    },
  };
}

/** The same left-hand side json-rules-engine's Almanac computes for a condition. */
function guardHolds(guard: Guard, facts: RiskFacts): boolean {
  const factValue: unknown = facts[guard.fact];
  const lhs = guard.path && factValue !== null && typeof factValue === 'object' ? resolvePath(factValue, guard.path) : factValue;
  return guard.operator.evaluate(lhs, guard.value);
}

const SEVERITY: Record<RiskOutcome, number> = { approve: 0, step_up: 1, decline: 2 };

/** decline > step_up > approve; `flag` only adds its reason code. */
export function combineOutcome(fired: readonly FiredRule[]): RiskOutcome {
  let outcome: RiskOutcome = 'approve';
  for (const rule of fired) {
    if (rule.outcome !== 'flag' && SEVERITY[rule.outcome] > SEVERITY[outcome]) outcome = rule.outcome;
  }
  return outcome;
}

export function isMoreSevere(a: RiskOutcome, b: RiskOutcome): boolean {
  return SEVERITY[a] > SEVERITY[b];
}

/**
 * An immutable, compiled rule set of one rule-set version: the enabled rules of each
 * evaluation point, ordered by priority (highest first), then rule id.
 *
 * Evaluation is json-rules-engine's. To keep 200 rules within 1 ms (DESIGN §8) it is preceded
 * by an alpha-index style prefilter (as in Rete engines): a rule whose necessary leaf condition
 * is false cannot fire, so it is not handed to the engine. Guards are evaluated with the
 * engine's own operator objects and path semantics, so the prefilter only removes work, never
 * changes a result (test/risk/prefilter.test.ts replays random facts with and without it).
 */
export class CompiledRuleSet {
  private readonly byPoint: ReadonlyMap<RiskEvaluationPoint, readonly CompiledRule[]>;

  constructor(
    readonly version: number,
    /** Every rule of the set, enabled or not (current versions). */
    readonly rules: readonly RiskRuleDocument[],
  ) {
    const byPoint = new Map<RiskEvaluationPoint, CompiledRule[]>();
    const ordered = [...rules]
      .filter((rule) => rule.enabled)
      .sort((a, b) => b.priority - a.priority || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0));
    for (const rule of ordered) {
      const compiled = compile(rule);
      for (const point of rule.appliesTo) {
        if (!byPoint.has(point)) byPoint.set(point, []);
        byPoint.get(point)!.push(compiled);
      }
    }
    this.byPoint = byPoint;
  }

  /** How many enabled rules apply at `point`. */
  size(point: RiskEvaluationPoint): number {
    return this.byPoint.get(point)?.length ?? 0;
  }

  /** A copy of this set with `rule` added or replacing its current version (dry-runs). */
  withRule(rule: RiskRuleDocument): CompiledRuleSet {
    return new CompiledRuleSet(this.version, [...this.rules.filter((r) => r.ruleId !== rule.ruleId), rule]);
  }

  /**
   * Runs the rules of `point` over `facts`; resolves with the fired rules, highest priority
   * first. `prefilter: false` hands every rule to the engine (tests and the benchmark).
   */
  async evaluate(point: RiskEvaluationPoint, facts: RiskFacts, options: { prefilter?: boolean } = {}): Promise<FiredRule[]> {
    const rules = this.byPoint.get(point) ?? [];
    const candidates: CompiledRule[] = [];
    if (options.prefilter === false) {
      candidates.push(...rules);
    } else {
      const memo = new Map<string, boolean>();
      for (const compiled of rules) {
        let passes = true;
        for (const guard of compiled.guards) {
          let holds = memo.get(guard.key);
          if (holds === undefined) {
            holds = guardHolds(guard, facts);
            memo.set(guard.key, holds);
          }
          if (!holds) {
            passes = false;
            break;
          }
        }
        if (passes) candidates.push(compiled);
      }
    }
    if (candidates.length === 0) return [];
    // A fresh engine per evaluation: json-rules-engine keeps run status on the engine, so one
    // engine shared by concurrent runs can skip rules of a run when another finishes.
    const engine = new Engine(
      candidates.map((c) => c.properties),
      ENGINE_OPTIONS,
    );
    const { events } = await engine.run(facts as unknown as Record<string, unknown>);
    const firedIds = new Set(events.map((event) => (event.params as { ruleId: string }).ruleId));
    return candidates
      .filter((c) => firedIds.has(c.rule.ruleId))
      .map((c) => ({ ruleId: c.rule.ruleId, version: c.rule.version, reasonCode: c.rule.reasonCode, outcome: c.rule.outcome }));
  }
}
