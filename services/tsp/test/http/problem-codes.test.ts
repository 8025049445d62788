import express from 'express';
import request from 'supertest';
import { PROBLEM_CODE_TABLE } from '@opentsp/api-types/contract-tables';
import { TspError, type ProblemCode } from '../../src/errors';
import { errorHandler } from '../../src/http/error-handler';
import { loadOpenApiSpec } from '../../src/http/openapi-spec';
import { PROBLEM_STATUS, PROBLEM_TITLE } from '../../src/http/problem-codes';
import { createLogger } from '../../src/observability/logger';

interface ProblemCodeSchema {
  enum: ProblemCode[];
  description: string;
  'x-opentsp-problem-codes': Record<string, { status: number; family: string; title: string }>;
}

describe('problem codes', () => {
  const spec = loadOpenApiSpec() as { components: { schemas: { ProblemCode: ProblemCodeSchema } } };
  const schema = spec.components.schemas.ProblemCode;
  const contract = schema['x-opentsp-problem-codes'];
  // The contract also documents each code's status for readers, in a markdown table:
  // | `code` | status | meaning |
  const documented = Object.fromEntries(
    [...schema.description.matchAll(/^\|\s*`(\w+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [m[1], Number(m[2])]),
  );
  const contractStatus = Object.fromEntries(Object.entries(contract).map(([code, row]) => [code, row.status]));

  it('gives every code of the enum, and no other, a status, family and title', () => {
    expect(Object.keys(contract).sort()).toEqual([...schema.enum].sort());
  });

  it('documents the same status in the description table as in x-opentsp-problem-codes', () => {
    expect(documented).toEqual(contractStatus);
  });

  it('generates the table the TSP and the SDK read from the contract', () => {
    expect(PROBLEM_CODE_TABLE).toEqual(contract);
    expect(PROBLEM_STATUS).toEqual(contractStatus);
    expect(PROBLEM_TITLE).toEqual(Object.fromEntries(Object.entries(contract).map(([code, row]) => [code, row.title])));
  });

  it('answers each code over HTTP with the status and title of the contract', async () => {
    // The TSP's own error middleware, behind a route that throws the domain error for `code`.
    const app = express();
    app.get('/throw/:code', (req) => {
      throw new TspError(req.params.code as ProblemCode, 'Raised by the test.');
    });
    app.use(errorHandler(createLogger({ level: 'silent' })));
    const agent = request(app);
    for (const code of schema.enum) {
      const res = await agent.get(`/throw/${code}`);
      expect({ code, status: res.status, body: res.body }).toEqual({
        code,
        status: contract[code]!.status,
        body: expect.objectContaining({ code, status: contract[code]!.status, title: contract[code]!.title }),
      });
    }
  });
});
