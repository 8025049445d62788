import type { CryptogramIssuancesTable } from './cryptogram-issuances.table';
import type { PaymentKeysTable } from './payment-keys.table';

/** Tables owned by the payments area (see store/migrations/0009-payments.ts). */
export interface PaymentsTables {
  cryptogram_issuances: CryptogramIssuancesTable;
  payment_keys: PaymentKeysTable;
}
