import { Rule, type TopLevelCondition } from 'json-rules-engine';
import type { components } from '@opentsp/api-types';
import { ValidationError } from '../errors';
import { KNOWN_OPERATORS } from './engine-options';
import { FACT_CATALOG, factPathType, isFactName, type FactValueType } from './fact-catalog';

export type RiskRuleInput = components['schemas']['RiskRuleInput'];

/** One violation, as in the contract's `ProblemFieldError`. */
export interface RuleFieldError {
  path: string;
  message: string;
}

const NUMERIC = new Set(['lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive']);
const MEMBERSHIP = new Set(['in', 'notIn']);
const ARRAY_FACT = new Set(['contains', 'doesNotContain']);
const MAX_DEPTH = 8;
const MAX_LEAVES = 100;
const MAX_LIST = 500;

const LEAF_KEYS = new Set(['fact', 'path', 'operator', 'value', 'name', 'priority']);
const BOOLEAN_KEYS = new Set(['all', 'any', 'not', 'name', 'priority']);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function matchesType(value: unknown, type: FactValueType | 'any'): boolean {
  if (value === null) return true;
  if (type === 'any') return ['string', 'number', 'boolean'].includes(typeof value);
  return type === 'number' ? typeof value === 'number' && Number.isFinite(value) : typeof value === type;
}

function knownFacts(): string {
  return Object.keys(FACT_CATALOG).join(', ');
}

function knownPaths(fact: keyof typeof FACT_CATALOG): string {
  const paths = Object.keys(FACT_CATALOG[fact]).map((p) => `$.${p}`);
  return fact === 'signals' ? `${paths.join(', ')}, $.extra.<name>` : paths.join(', ');
}

class Checker {
  readonly errors: RuleFieldError[] = [];
  private leaves = 0;

  fail(path: string, message: string): void {
    if (this.errors.length < 50) this.errors.push({ path, message });
  }

  /** Checks a `{ fact, path }` reference; returns its type when valid. */
  private factRef(node: Record<string, unknown>, at: string): FactValueType | 'any' | undefined {
    const fact = node.fact;
    if (typeof fact !== 'string' || !isFactName(fact)) {
      this.fail(`${at}/fact`, `unknown fact ${JSON.stringify(fact)}; known facts: ${knownFacts()}`);
      return undefined;
    }
    if (typeof node.path !== 'string') {
      this.fail(`${at}/path`, `a path is required, e.g. "$.score"; paths of ${fact}: ${knownPaths(fact)}`);
      return undefined;
    }
    const type = factPathType(fact, node.path);
    if (!type) this.fail(`${at}/path`, `unknown path ${JSON.stringify(node.path)} of fact ${fact}; known: ${knownPaths(fact)}`);
    return type;
  }

  private leaf(node: Record<string, unknown>, at: string): void {
    this.leaves += 1;
    for (const key of Object.keys(node)) {
      if (!LEAF_KEYS.has(key)) this.fail(`${at}/${key}`, `unexpected member "${key}" (params and custom members are not supported)`);
    }
    if (!('value' in node)) this.fail(`${at}/value`, 'a value is required');
    const type = this.factRef(node, at);
    const operator = node.operator;
    if (typeof operator !== 'string' || !(KNOWN_OPERATORS as readonly string[]).includes(operator)) {
      this.fail(`${at}/operator`, `unknown operator ${JSON.stringify(operator)}; known: ${KNOWN_OPERATORS.join(', ')}`);
      return;
    }
    if (!type || !('value' in node)) return;
    const value = node.value;
    const valueAt = `${at}/value`;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      // A fact-to-fact comparison: `value: { fact, path }`.
      const ref = value as Record<string, unknown>;
      const extra = Object.keys(ref).filter((k) => k !== 'fact' && k !== 'path');
      if (extra.length) this.fail(valueAt, `a fact reference has only "fact" and "path" (found ${extra.join(', ')})`);
      const refType = this.factRef(ref, valueAt);
      if (refType && refType !== 'any' && type !== 'any' && refType !== type && !MEMBERSHIP.has(operator)) {
        this.fail(valueAt, `compares a ${type} with a ${refType}`);
      }
      return;
    }
    if (NUMERIC.has(operator)) {
      if (type !== 'number' && type !== 'any') this.fail(`${at}/operator`, `${operator} needs a number fact; ${node.path as string} is a ${type}`);
      if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(valueAt, `${operator} needs a number value, got ${typeOf(value)}`);
    } else if (MEMBERSHIP.has(operator)) {
      if (!Array.isArray(value) || value.length === 0 || value.length > MAX_LIST) {
        this.fail(valueAt, `${operator} needs a non-empty array of at most ${MAX_LIST} values, got ${typeOf(value)}`);
        return;
      }
      value.forEach((item, i) => {
        if (!matchesType(item, type) || item === null) this.fail(`${valueAt}/${i}`, `expected a ${type}, got ${typeOf(item)}`);
      });
    } else if (ARRAY_FACT.has(operator)) {
      this.fail(`${at}/operator`, `${operator} needs an array fact and ${node.path as string} is a ${type}; use in / notIn`);
    } else if (Array.isArray(value) || !matchesType(value, type)) {
      this.fail(valueAt, `expected a ${type} or null, got ${typeOf(value)}`);
    }
  }

  node(node: unknown, at: string, depth: number): void {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) {
      this.fail(at, `expected a condition object, got ${typeOf(node)}`);
      return;
    }
    if (depth > MAX_DEPTH) {
      this.fail(at, `conditions nest deeper than ${MAX_DEPTH} levels`);
      return;
    }
    const n = node as Record<string, unknown>;
    if ('priority' in n && (!Number.isInteger(n.priority) || (n.priority as number) < 1)) this.fail(`${at}/priority`, 'priority must be an integer ≥ 1');
    if ('name' in n && typeof n.name !== 'string') this.fail(`${at}/name`, 'name must be a string');
    if ('condition' in n) {
      this.fail(`${at}/condition`, 'shared condition references are not supported; inline the condition');
      return;
    }
    const ops = ['all', 'any', 'not'].filter((k) => k in n);
    if (ops.length > 1) {
      this.fail(at, `a condition has exactly one of all / any / not (found ${ops.join(', ')})`);
      return;
    }
    if (ops.length === 0) {
      if (depth === 0) this.fail(at, 'the top level must be { "all": [...] }, { "any": [...] } or { "not": {...} }');
      else this.leaf(n, at);
      if (this.leaves > MAX_LEAVES) this.fail(at, `more than ${MAX_LEAVES} conditions`);
      return;
    }
    for (const key of Object.keys(n)) if (!BOOLEAN_KEYS.has(key)) this.fail(`${at}/${key}`, `unexpected member "${key}"`);
    const op = ops[0]!;
    const children = n[op];
    if (op === 'not') {
      if (Array.isArray(children)) this.fail(`${at}/not`, '"not" takes one condition, not an array');
      else this.node(children, `${at}/not`, depth + 1);
      return;
    }
    if (!Array.isArray(children) || children.length === 0) {
      this.fail(`${at}/${op}`, `"${op}" takes a non-empty array of conditions`);
      return;
    }
    children.forEach((child, i) => this.node(child, `${at}/${op}/${i}`, depth + 1));
  }
}

/**
 * Validates a rule definition: the condition tree uses only known facts, paths and operators
 * with values of the right type, and json-rules-engine parses it; a `step_up` rule applies to
 * provisioning only (push redemption and detokenization cannot step up).
 *
 * @throws ValidationError `rule_invalid` with `errors[]` ({ path, message }) naming every problem.
 */
export function assertValidRule(input: RiskRuleInput): void {
  const checker = new Checker();
  checker.node(input.conditions, '/body/conditions', 0);
  if (input.outcome === 'step_up' && input.appliesTo.some((point) => point !== 'provisioning')) {
    checker.fail('/body/outcome', 'step_up applies to provisioning only; use decline or flag for push_redemption and detokenization');
  }
  if (checker.errors.length === 0) {
    try {
      new Rule({ conditions: structuredClone(input.conditions) as unknown as TopLevelCondition, event: { type: 'risk_rule' } });
    } catch (err) {
      checker.fail('/body/conditions', `json-rules-engine refused the conditions: ${(err as Error).message}`);
    }
  }
  if (checker.errors.length > 0) {
    const summary = checker.errors
      .slice(0, 3)
      .map((e) => `${e.path}: ${e.message}`)
      .join('; ');
    throw new ValidationError('rule_invalid', `The rule is invalid: ${summary.slice(0, 1500)}${checker.errors.length > 3 ? ' …' : ''}`, {
      errors: checker.errors,
    });
  }
}
