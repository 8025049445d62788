/**
 * Internal: how each JWE algorithm protects the content encryption key (CEK), RFC 7518 §4,
 * done with node:crypto directly.
 *
 * Why not node-jose here: measured on the dev box (Xeon 2.8 GHz, Node 20, one core, see
 * test/bench/jose-throughput.ts), node-jose's compact JWE ran at
 *   RSA-OAEP-256 decrypt 834/s, encrypt 932/s   (OAEP with SHA-256 goes through forge, pure JS)
 *   RSA-OAEP     decrypt 612/s, encrypt 1,143/s
 *   ECDH-ES+A256KW decrypt 1,751/s, encrypt 80/s (ephemeral P-256 key generated in pure JS)
 *   A256GCMKW    decrypt 10,565/s, encrypt 1,765/s
 * A256GCMKW encryption sits on the detokenize path (≥ 3,000/s on 2 cores) and ECDH-ES
 * encryption would cap an acquirer with an EC key at 80 detokenizations/s, so every
 * algorithm here is node:crypto; the numbers after the change are in jwe.ts. The output is
 * plain RFC 7516 compact JWE, cross-checked against panva `jose` in both directions
 * (test/jwe-interop.test.ts). node-jose still owns key generation and storage (jwk.ts).
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPublicKey,
  constants,
  diffieHellman,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type JsonWebKey as NodeJwk,
  type KeyObject,
} from 'node:crypto';
import { b64uDecode, b64uEncode, isPlainObject } from './encoding';

export type JweAlgorithm = 'RSA-OAEP-256' | 'RSA-OAEP' | 'ECDH-ES+A256KW' | 'A256GCMKW';

export const JWE_ALGORITHMS: readonly JweAlgorithm[] = ['RSA-OAEP-256', 'RSA-OAEP', 'ECDH-ES+A256KW', 'A256GCMKW'];

/** The key type each algorithm needs. */
export const KTY_FOR: Record<JweAlgorithm, 'RSA' | 'EC' | 'oct'> = {
  'RSA-OAEP-256': 'RSA',
  'RSA-OAEP': 'RSA',
  'ECDH-ES+A256KW': 'EC',
  A256GCMKW: 'oct',
};

/** Recipient material: a public KeyObject (RSA, EC) or the 32 secret bytes (oct). */
export type WrappingKey = KeyObject | Buffer;
/** Private material to unwrap with: a private KeyObject (RSA, EC) or the secret bytes. */
export type UnwrappingKey = KeyObject | Buffer;

export interface WrappedCek {
  encryptedKey: Buffer;
  /** Header members the algorithm defines (`epk`, `iv`, `tag`), to be integrity protected. */
  header: Record<string, unknown>;
}

// RFC 3394 §2.2.3.1 default initial value; node's id-aes256-wrap checks it on unwrap.
const AES_KW_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');

/** Wraps a fresh CEK for the recipient. `header` supplies `apu` / `apv` for ECDH-ES. */
export function wrapCek(alg: JweAlgorithm, key: WrappingKey, cek: Buffer, header: Record<string, unknown>): WrappedCek {
  switch (alg) {
    case 'RSA-OAEP-256':
    case 'RSA-OAEP':
      return { encryptedKey: publicEncrypt(oaep(alg, key as KeyObject), cek), header: {} };
    case 'A256GCMKW': {
      // RFC 7518 §4.7: AES-GCM key wrap, 96-bit IV and 128-bit tag carried in the header.
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key as Buffer, iv);
      const encryptedKey = Buffer.concat([cipher.update(cek), cipher.final()]);
      return { encryptedKey, header: { iv: b64uEncode(iv), tag: b64uEncode(cipher.getAuthTag()) } };
    }
    case 'ECDH-ES+A256KW': {
      // RFC 7518 §4.6: ephemeral-static ECDH, Concat KDF, then AES key wrap of the CEK.
      const ephemeral = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const z = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: key as KeyObject });
      const kek = concatKdf(z, alg, partyInfo(header.apu), partyInfo(header.apv));
      const cipher = createCipheriv('id-aes256-wrap', kek, AES_KW_IV);
      const encryptedKey = Buffer.concat([cipher.update(cek), cipher.final()]);
      const { kty, crv, x, y } = ephemeral.publicKey.export({ format: 'jwk' });
      return { encryptedKey, header: { epk: { kty, crv, x, y } } };
    }
  }
}

/**
 * Recovers the CEK. Throws on any failure except RSA padding errors, for which it returns a
 * random CEK instead: RFC 7516 §11.5 (after RFC 3218) asks the recipient not to tell
 * padding failures apart, so they fail later at the tag check like every other error.
 */
export function unwrapCek(alg: JweAlgorithm, key: UnwrappingKey, encryptedKey: Buffer, header: Record<string, unknown>): Buffer {
  switch (alg) {
    case 'RSA-OAEP-256':
    case 'RSA-OAEP': {
      try {
        const cek = privateDecrypt(oaep(alg, key as KeyObject), encryptedKey);
        return cek.length === 32 ? cek : randomBytes(32);
      } catch {
        return randomBytes(32);
      }
    }
    case 'A256GCMKW': {
      const iv = typeof header.iv === 'string' ? b64uDecode(header.iv) : undefined;
      const tag = typeof header.tag === 'string' ? b64uDecode(header.tag) : undefined;
      if (iv?.length !== 12 || tag?.length !== 16) throw new Error('bad iv/tag');
      const decipher = createDecipheriv('aes-256-gcm', key as Buffer, iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(encryptedKey), decipher.final()]);
    }
    case 'ECDH-ES+A256KW': {
      const epk = header.epk;
      if (!isPlainObject(epk) || epk.kty !== 'EC' || epk.crv !== 'P-256') throw new Error('bad epk');
      // createPublicKey rejects points off the curve (invalid-curve attack).
      const ephemeral = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: epk.x, y: epk.y } as NodeJwk, format: 'jwk' });
      const z = diffieHellman({ privateKey: key as KeyObject, publicKey: ephemeral });
      const kek = concatKdf(z, alg, partyInfo(header.apu), partyInfo(header.apv));
      const decipher = createDecipheriv('id-aes256-wrap', kek, AES_KW_IV);
      return Buffer.concat([decipher.update(encryptedKey), decipher.final()]);
    }
  }
}

function oaep(alg: 'RSA-OAEP-256' | 'RSA-OAEP', key: KeyObject) {
  // RFC 7518 §4.3: RSA-OAEP uses SHA-1 and MGF1-SHA-1; RSA-OAEP-256 SHA-256 for both.
  return { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: alg === 'RSA-OAEP-256' ? 'sha256' : 'sha1' };
}

function partyInfo(value: unknown): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  const bytes = typeof value === 'string' ? b64uDecode(value) : undefined;
  if (!bytes) throw new TypeError('apu / apv must be base64url strings');
  return bytes;
}

/**
 * Concat KDF (NIST SP 800-56A §5.8.1) as profiled by RFC 7518 §4.6.2, for a 256-bit key:
 * one SHA-256 round over counter ‖ Z ‖ AlgorithmID ‖ PartyUInfo ‖ PartyVInfo ‖ SuppPubInfo,
 * each variable field prefixed with its 32-bit big-endian length.
 */
export function concatKdf(z: Buffer, algorithmId: string, apu: Buffer, apv: Buffer): Buffer {
  const lengthPrefixed = (data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    return [len, data];
  };
  const counter = Buffer.from([0, 0, 0, 1]);
  const keyDataLen = Buffer.from([0, 0, 1, 0]); // 256 bits
  return createHash('sha256')
    .update(Buffer.concat([
      counter,
      z,
      ...lengthPrefixed(Buffer.from(algorithmId, 'ascii')),
      ...lengthPrefixed(apu),
      ...lengthPrefixed(apv),
      keyDataLen,
    ]))
    .digest();
}
