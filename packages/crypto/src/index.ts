/**
 * @opentsp/crypto: every JOSE and OTP operation of OpenTSP behind one small API. The only
 * package in the repository that imports node-jose or otplib.
 */
export { CryptoError, type CryptoErrorCode } from './errors';
export { Key, type Jwk, type Jwks, type PublicJwk, type RsaPublicJwk, type EcPublicJwk, type OctJwk } from './key';
export { KeySet, generateOctKey, type KeyKind } from './jwk';
export {
  encryptCompact,
  decryptCompact,
  decryptJson,
  type JweAlgorithm,
  type JweHeader,
  type EncryptOptions,
  type DecryptOptions,
  type DecryptResult,
} from './jwe';
export { signCompact, verifyCompact, type JwsHeader, type SigningKey, type SignOptions, type VerifyOptions, type VerifyResult } from './jws';
export { signJwt, createJwtVerifier, type JwtClaims, type SignJwtOptions, type JwtVerifier, type JwtVerifierOptions } from './jwt';
export { sealJson, openSealedJson, SEAL_ITERATIONS, type SealOptions } from './keystore-file';
export { generateOtpSecret, hotp, verifyHotp, totp, type OtpSecret, type OtpDigits } from './otp';
export { hmacSha256, hkdfSha256, timingSafeEqualStrings } from './hmac';
export { compactKid } from './encoding';
