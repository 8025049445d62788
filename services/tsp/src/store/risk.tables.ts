/**
 * Tables owned by the risk area (see store/migrations). Add one entry per table, each row
 * type in its own `<table>.table.ts`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface RiskTables {}
