/**
 * @opentsp/card: the card-number primitives every part of OpenTSP shares (the TSP, the issuer
 * simulator, the console, the wallet SDK's bundle, tests and benchmarks). No dependencies and
 * no Node built-ins, so browser bundles can include it.
 */
export { isLuhnValid, luhnCheckDigit } from './luhn';
export { maskPan, maskPanLastFour } from './mask';
export { CARD_NUMBER_RUN, findCardNumbers, replaceCardNumbers, type CardNumberOptions } from './card-number-pattern';
export { testPan, type TestPanOptions } from './test-pan';
