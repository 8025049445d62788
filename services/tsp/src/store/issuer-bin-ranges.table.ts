/**
 * BIN ranges of issuers: a range is a prefix plus the length of the numbers in it. Two ranges
 * overlap when they have the same length and one prefix starts with the other; the primary
 * keys stop exact duplicates, the registration transaction refuses nested ones.
 */
export interface IssuerCardBinRangesTable {
  prefix: string;
  pan_length: number;
  issuer_id: string;
}

export interface IssuerTokenBinRangesTable {
  prefix: string;
  token_length: number;
  issuer_id: string;
}
