import { Engine, type EngineOptions } from 'json-rules-engine';

/**
 * json-rules-engine's default path resolver is jsonpath-plus, general but ~10× slower than
 * needed. Rule paths are validated to the simple `$.a.b` form (fact-catalog.ts PATH_PATTERN),
 * so a cached split-and-walk gives the same answer for every path a rule can hold.
 */
const splitCache = new Map<string, readonly string[]>();

export function resolvePath(value: object, path: string): unknown {
  let parts = splitCache.get(path);
  if (!parts) {
    parts = path.replace(/^\$\.?/, '').split('.').filter(Boolean);
    if (splitCache.size < 10_000) splitCache.set(path, parts);
  }
  let current: unknown = value;
  for (const part of parts) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Options of every engine the risk area builds (evaluation, validation, dry-run). */
export const ENGINE_OPTIONS: EngineOptions = {
  // Every fact is always supplied (risk/facts.ts); an unknown one is a bug, not "false".
  allowUndefinedFacts: false,
  allowUndefinedConditions: false,
  pathResolver: resolvePath,
};

/** The default operators of json-rules-engine 7 that rules may use. */
export const KNOWN_OPERATORS = [
  'equal',
  'notEqual',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
] as const;
export type KnownOperator = (typeof KNOWN_OPERATORS)[number];

/** json-rules-engine's own operator implementation (evaluate = validator && comparison). */
export interface EngineOperator {
  evaluate(factValue: unknown, jsonValue: unknown): boolean;
}

/**
 * The library's operator objects, taken from an engine instance (its `operators` map is not
 * in the published typings). The prefilter in rule-set.ts calls these very objects, so a
 * guard and the engine can never disagree on what `lessThan` or `in` means.
 */
const operatorMap = (new Engine([], ENGINE_OPTIONS) as unknown as { operators: { get(name: string): EngineOperator | null } })
  .operators;

export function engineOperator(name: string): EngineOperator | undefined {
  return (KNOWN_OPERATORS as readonly string[]).includes(name) ? (operatorMap.get(name) ?? undefined) : undefined;
}
