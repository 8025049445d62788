import { randomInt } from 'node:crypto';
import { luhnCheckDigit } from '@opentsp/card';

/** A token BIN range: every token number of `tokenLength` digits starting with `prefix`. */
export interface TokenRange {
  prefix: string;
  tokenLength: number;
}

/** A card BIN range: PANs starting with `prefix`, of `panLength` digits (any length when absent). */
export interface CardRange {
  prefix: string;
  panLength?: number;
}

/** Token PANs are 16–19 digits (EMVCo Payment Tokenisation §3; ISO/IEC 7812-1 maximum 19). */
export const MIN_TOKEN_LENGTH = 16;
export const MAX_TOKEN_LENGTH = 19;

/** Whether `number` lies in the card BIN range. */
export function inCardRange(number: string, range: CardRange): boolean {
  return (range.panLength === undefined || range.panLength === number.length) && number.startsWith(range.prefix);
}

/** Whether `number` lies in the token BIN range. */
export function inTokenRange(number: string, range: TokenRange): boolean {
  return number.length === range.tokenLength && number.startsWith(range.prefix) && /^[0-9]+$/.test(number);
}

/** Throws a RangeError unless the range can hold token numbers at all. */
export function checkTokenRange(range: TokenRange): void {
  if (!Number.isInteger(range.tokenLength) || range.tokenLength < MIN_TOKEN_LENGTH || range.tokenLength > MAX_TOKEN_LENGTH) {
    throw new RangeError(`a token is ${MIN_TOKEN_LENGTH} to ${MAX_TOKEN_LENGTH} digits`);
  }
  // At least one random digit besides the check digit.
  if (!/^[0-9]+$/.test(range.prefix) || range.prefix.length < 1 || range.prefix.length > range.tokenLength - 2) {
    throw new RangeError('a token range prefix is 1 to tokenLength-2 digits');
  }
}

/**
 * A uniformly random Luhn-valid number of the token range (ISO/IEC 7812-1 Annex B). It is
 * drawn from the CSPRNG only, never derived from a PAN, so a token reveals nothing of its card.
 * Whether it falls inside a card range is the caller's check (see {@link isUsableTokenNumber}).
 */
export function randomTokenNumber(range: TokenRange): string {
  let body = range.prefix;
  while (body.length < range.tokenLength - 1) body += String(randomInt(10));
  return body + luhnCheckDigit(body);
}

/** A token number may be issued only outside every registered card BIN range (DESIGN §1). */
export function isUsableTokenNumber(number: string, cardRanges: readonly CardRange[]): boolean {
  return !cardRanges.some((range) => inCardRange(number, range));
}

/**
 * How many token numbers the range can hold: 10^(free digits) with the check digit fixed,
 * less the parts covered by card ranges (nested card ranges counted once).
 */
export function tokenRangeCapacity(range: TokenRange, cardRanges: readonly CardRange[]): number {
  const free = range.tokenLength - range.prefix.length - 1;
  const applicable = cardRanges.filter((c) => c.panLength === undefined || c.panLength === range.tokenLength);
  if (applicable.some((c) => range.prefix.startsWith(c.prefix))) return 0;
  const inside = applicable
    .map((c) => c.prefix)
    .filter((p) => p.startsWith(range.prefix) && p.length < range.tokenLength)
    .sort((a, b) => a.length - b.length)
    .filter((p, i, all) => !all.slice(0, i).some((shorter) => p !== shorter && p.startsWith(shorter)))
    .filter((p, i, all) => all.indexOf(p) === i);
  const covered = inside.reduce((sum, p) => sum + 10 ** (range.tokenLength - p.length - 1), 0);
  return Math.max(0, 10 ** free - covered);
}
