/**
 * @opentsp/wallet-sdk for Node ≥ 20: everything in the browser entry, plus Node-only helpers.
 * Browsers and React Native resolve `./browser` through the package's `browser` /
 * `react-native` export conditions.
 */
export * from './browser';
export { readRawBody } from './node/read-raw-body';
