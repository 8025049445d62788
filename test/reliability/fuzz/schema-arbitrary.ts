import fc, { type Arbitrary } from 'fast-check';
import type { Schema } from './spec-model';

/**
 * fast-check arbitraries from JSON Schema nodes of the contract. `valid` values satisfy the
 * schema (as far as formats and patterns allow); `boundary` values sit on its edges
 * (min / max length, min / max items, numeric limits and one step past them).
 */
export type Flavour = 'valid' | 'boundary';

const MAX_DEPTH = 6;
const arbCache = new Map<string, Arbitrary<unknown>>();

function typesOf(schema: Schema): string[] {
  if (Array.isArray(schema.type)) return schema.type as string[];
  if (typeof schema.type === 'string') return [schema.type];
  if (schema.properties || schema.required) return ['object'];
  if (schema.items) return ['array'];
  return [];
}

function stringArb(schema: Schema, flavour: Flavour): Arbitrary<string> {
  const minLength = (schema.minLength as number | undefined) ?? 0;
  const maxLength = Math.min((schema.maxLength as number | undefined) ?? 64, 4_096);
  if (typeof schema.pattern === 'string') {
    const key = `${schema.pattern}|${maxLength}`;
    let cached = arbCache.get(key) as Arbitrary<string> | undefined;
    if (!cached) {
      try {
        // No length filter: a pattern plus a long minLength (JWK `n`) would make a filter spin;
        // a length the server refuses is just one more invalid input.
        cached = fc.stringMatching(new RegExp(schema.pattern as string, 'u')).map((s) => (s.length > maxLength ? s.slice(0, maxLength) : s));
      } catch {
        cached = fc.string({ minLength, maxLength });
      }
      arbCache.set(key, cached);
    }
    return cached;
  }
  switch (schema.format) {
    case 'date-time':
      return fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
    case 'date':
      return fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
    case 'uri':
    case 'url':
      return fc.webUrl({ validSchemes: ['https'] });
    case 'uri-reference':
      return fc.webPath();
    case 'email':
      return fc.emailAddress();
    case 'uuid':
      return fc.uuid();
    case 'ipv4':
      return fc.ipV4();
    default:
      break;
  }
  if (flavour === 'boundary') {
    return fc.constantFrom(minLength, maxLength).chain((n) => fc.string({ minLength: n, maxLength: n, unit: 'grapheme-ascii' }));
  }
  return fc.string({ minLength, maxLength: Math.max(minLength, Math.min(maxLength, 40)) });
}

function numberArb(schema: Schema, integer: boolean, flavour: Flavour): Arbitrary<number> {
  const min = (schema.minimum as number | undefined) ?? (schema.exclusiveMinimum as number | undefined) ?? (integer ? -1_000_000 : -1e6);
  const max = (schema.maximum as number | undefined) ?? (schema.exclusiveMaximum as number | undefined) ?? (integer ? 1_000_000_000 : 1e9);
  if (flavour === 'boundary') {
    return fc.constantFrom(min, max, min - 1, max + 1, 0, -1, Number.MAX_SAFE_INTEGER);
  }
  return integer ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) }) : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
}

/** An arbitrary producing values for `schema`. `resolve` follows `$ref`s. */
export function schemaArbitrary(raw: unknown, resolve: (s: unknown) => Schema, flavour: Flavour = 'valid', depth = 0): Arbitrary<unknown> {
  const schema = resolve(raw);
  if (depth > MAX_DEPTH) return fc.constant(null);
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const alternatives = (schema.oneOf ?? schema.anyOf) as unknown[] | undefined;
  if (alternatives?.length) {
    const { oneOf: _o, anyOf: _a, ...rest } = schema;
    return fc.oneof(...alternatives.map((alt) => schemaArbitrary({ ...rest, ...resolve(alt) }, resolve, flavour, depth + 1)));
  }
  if (Array.isArray(schema.allOf)) {
    const { allOf, ...rest } = schema;
    const merged: Schema = { ...rest, properties: { ...((rest.properties as object) ?? {}) }, required: [...((rest.required as string[]) ?? [])] };
    for (const part of (allOf as unknown[]).map(resolve)) {
      Object.assign(merged, { ...part, properties: { ...(merged.properties as object), ...((part.properties as object) ?? {}) } });
      merged.required = [...(merged.required as string[]), ...((part.required as string[]) ?? [])];
    }
    return schemaArbitrary(merged, resolve, flavour, depth + 1);
  }
  const types = typesOf(schema);
  if (types.length === 0) return fc.jsonValue({ maxDepth: 2 });
  return fc.oneof(
    ...types.map((type): Arbitrary<unknown> => {
      switch (type) {
        case 'null':
          return fc.constant(null);
        case 'boolean':
          return fc.boolean();
        case 'integer':
          return numberArb(schema, true, flavour);
        case 'number':
          return numberArb(schema, false, flavour);
        case 'string':
          return stringArb(schema, flavour);
        case 'array': {
          const minLength = (schema.minItems as number | undefined) ?? 0;
          const maxLength = Math.min((schema.maxItems as number | undefined) ?? 4, flavour === 'boundary' ? 50 : 4);
          const item = schemaArbitrary(schema.items ?? {}, resolve, flavour, depth + 1);
          return fc.array(item, { minLength, maxLength: Math.max(minLength, maxLength), ...(schema.uniqueItems ? {} : {}) });
        }
        default: {
          const properties = (schema.properties ?? {}) as Record<string, unknown>;
          const required = new Set((schema.required as string[]) ?? []);
          const model: Record<string, Arbitrary<unknown>> = {};
          for (const [name, sub] of Object.entries(properties)) model[name] = schemaArbitrary(sub, resolve, flavour, depth + 1);
          for (const name of required) model[name] ??= fc.jsonValue({ maxDepth: 1 });
          const record = fc.record(model, { requiredKeys: [...required].filter((k) => k in model) });
          if (schema.additionalProperties && typeof schema.additionalProperties === 'object' && Object.keys(properties).length === 0) {
            return fc.dictionary(fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,10}$/), schemaArbitrary(schema.additionalProperties, resolve, flavour, depth + 1), { maxKeys: 3 });
          }
          return record;
        }
      }
    }),
  );
}
