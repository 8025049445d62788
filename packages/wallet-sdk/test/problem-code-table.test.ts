import { PROBLEM_CODE_TABLE } from '@opentsp/api-types/contract-tables';
import {
  AuthenticationError,
  ConflictError,
  DeclinedError,
  GoneError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  ServerError,
  ValidationError,
  errorFromResponse,
  type OpenTspError,
} from '../src';

/*
 * The SDK classifies a problem by the table generated from the contract
 * (`x-opentsp-problem-codes`; packages/api-types/test checks it is fresh, services/tsp/test that
 * the TSP answers each code with its status). Here: each code lands in its family's class.
 */
const CLASS_OF_FAMILY: Record<string, abstract new (...args: never[]) => OpenTspError> = {
  validation: ValidationError,
  authentication: AuthenticationError,
  permission: PermissionError,
  declined: DeclinedError,
  not_found: NotFoundError,
  conflict: ConflictError,
  gone: GoneError,
  rate_limit: RateLimitError,
  server: ServerError,
};

describe('problem codes of the contract', () => {
  it.each(Object.entries(PROBLEM_CODE_TABLE))('%s becomes the error class of its family', (code, { status, family, title }) => {
    // Answered with a status no code has: the class must follow the code, not the HTTP status.
    const error = errorFromResponse(418, { type: `urn:opentsp:problem:${code}`, title, status, code });
    expect(error).toBeInstanceOf(CLASS_OF_FAMILY[family]);
    expect(error.code).toBe(code);
  });
});
