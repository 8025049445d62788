import type { Generated } from 'kysely';

/** Every token number ever allocated; the primary key makes numbers unique across processes. */
export interface TokenNumbersTable {
  number: string;
  prefix: string;
  token_length: number;
  allocated_at: Generated<Date>;
}
