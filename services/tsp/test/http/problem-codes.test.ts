import { loadOpenApiSpec } from '../../src/http/openapi-spec';
import { PROBLEM_STATUS } from '../../src/http/problem-codes';

interface ProblemCodeSchema {
  enum: string[];
  description: string;
}

describe('problem codes', () => {
  const spec = loadOpenApiSpec() as { components: { schemas: { ProblemCode: ProblemCodeSchema } } };
  const schema = spec.components.schemas.ProblemCode;
  // The contract documents each code's status in a markdown table: | `code` | status | meaning |
  const documented = Object.fromEntries(
    [...schema.description.matchAll(/^\|\s*`(\w+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [m[1], Number(m[2])]),
  );

  it('maps every code of the contract, and no other', () => {
    expect(Object.keys(PROBLEM_STATUS).sort()).toEqual([...schema.enum].sort());
  });

  it('uses the HTTP status the contract documents for each code', () => {
    expect(Object.keys(documented).length).toBe(schema.enum.length);
    expect(PROBLEM_STATUS).toEqual(documented);
  });
});
