import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateOctKey, hkdfSha256, KeySet, openSealedJson, sealJson } from '@opentsp/crypto';
import { aesGcmOpen, aesGcmSeal } from './aes-gcm';
import type { KeyProvider } from './key-provider';
import { VaultError, VaultKeyError } from './vault-error';

/** The kid of KEK version `n` in the keystore. */
export const kekKid = (version: number): string => `kek-${version}`;
const PAN_HASH_KID = 'pan-hash-1';
// Unknown versions trigger a reload from disk, at most this often (a forged version in a
// tampered row must not make every request re-run PBKDF2).
const RELOAD_INTERVAL_MS = 1_000;

export interface KeystoreFileOptions {
  path: string;
  passphrase: string;
  /** PBKDF2 iterations for sealing (tests may lower it; default @opentsp/crypto's SEAL_ITERATIONS). */
  iterations?: number;
}

/**
 * The default `KeyProvider`: 256-bit KEKs (kid `kek-<version>`) and the PAN-hash key in a
 * node-jose key set, sealed as a PBES2-HS512+A256KW JWE under a passphrase from the
 * environment (`sealJson`). Writes are atomic (temp file + rename). Other processes on the
 * same file pick up a new version the first time they meet it.
 */
export class KeystoreFileProvider implements KeyProvider {
  readonly name = 'keystore-file';
  #keys = new Map<string, Buffer>();
  #lastReload = 0;

  private constructor(private readonly options: KeystoreFileOptions) {}

  /** Opens an existing keystore; throws `VaultKeyError` when it is missing or will not open. */
  static async open(options: KeystoreFileOptions): Promise<KeystoreFileProvider> {
    const provider = new KeystoreFileProvider(options);
    await provider.#reload();
    return provider;
  }

  /**
   * Creates a keystore with KEK version 1 and the PAN-hash key. When another process wins
   * the race to create the file, its keystore is opened instead. Returns `created`.
   */
  static async create(options: KeystoreFileOptions): Promise<{ provider: KeystoreFileProvider; created: boolean }> {
    const set = KeySet.create();
    await set.add(generateOctKey(kekKid(1)));
    await set.add(generateOctKey(PAN_HASH_KID));
    await mkdir(path.dirname(options.path), { recursive: true });
    const tmp = `${options.path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, await sealJson(set.toPrivateJson(), options.passphrase, sealOptions(options)), { mode: 0o600 });
    let created = true;
    try {
      await link(tmp, options.path); // fails if the file exists: first writer wins
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      created = false;
    } finally {
      await rm(tmp, { force: true });
    }
    if (!created) return { provider: await KeystoreFileProvider.open(options), created };
    const provider = new KeystoreFileProvider(options);
    provider.#lastReload = Date.now();
    provider.#remember(set);
    return { provider, created };
  }

  static exists(file: string): boolean {
    return existsSync(file);
  }

  async createKek(version: number): Promise<string> {
    const kid = kekKid(version);
    await this.#mutate(async (set) => {
      if (!set.has(kid)) await set.add(generateOctKey(kid));
    });
    return kid;
  }

  async hasKek(version: number): Promise<boolean> {
    return (await this.#key(kekKid(version))) !== undefined;
  }

  async wrap(version: number, dataKey: Buffer, aad: Buffer): Promise<Buffer> {
    // The version comes from the database (it is active), so an unknown one means another
    // process created it: reload without the rate limit.
    const kek = await this.#key(kekKid(version), true);
    if (!kek) throw new VaultKeyError(`KEK version ${version} is not in the keystore`);
    return aesGcmSeal(kek, dataKey, aad);
  }

  async unwrap(version: number, wrapped: Buffer, aad: Buffer): Promise<Buffer> {
    const kek = await this.#key(kekKid(version));
    if (!kek) throw new VaultError();
    return aesGcmOpen(kek, wrapped, aad);
  }

  async destroyKek(version: number): Promise<void> {
    const kid = kekKid(version);
    await this.#mutate(async (set) => {
      set.remove(kid);
    });
    this.#keys.get(kid)?.fill(0);
    this.#keys.delete(kid);
  }

  async panHashKey(): Promise<Buffer> {
    const key = await this.#key(PAN_HASH_KID);
    if (!key) throw new VaultKeyError('the keystore has no PAN-hash key');
    return key;
  }

  /**
   * Derived (HKDF, RFC 5869) from the keystore's PAN-hash secret under its own label, so
   * existing keystores need no new entry; the derived key reveals nothing of the PAN-hash
   * key or of the fingerprint and PAR keys derived from it (vault/fingerprint.ts).
   */
  async auditChainKey(): Promise<Buffer> {
    return hkdfSha256(await this.panHashKey(), 'opentsp', 'audit chain v1', 32);
  }

  async #key(kid: string, force = false): Promise<Buffer | undefined> {
    const known = this.#keys.get(kid);
    if (known) return known;
    if (!force && Date.now() - this.#lastReload < RELOAD_INTERVAL_MS) return undefined;
    await this.#reload();
    return this.#keys.get(kid);
  }

  async #readSet(): Promise<KeySet> {
    let sealed: string;
    try {
      sealed = await readFile(this.options.path, 'utf8');
    } catch {
      throw new VaultKeyError(`the keystore ${this.options.path} cannot be read`);
    }
    try {
      return await KeySet.fromJson(await openSealedJson(sealed, this.options.passphrase));
    } catch {
      throw new VaultKeyError(`the keystore ${this.options.path} does not open with OPENTSP_KEYSTORE_PASSPHRASE`);
    }
  }

  async #reload(): Promise<void> {
    this.#lastReload = Date.now();
    this.#remember(await this.#readSet());
  }

  #remember(set: KeySet): void {
    const keys = new Map<string, Buffer>();
    for (const jwk of set.toPrivateJson().keys) {
      if (jwk.kty === 'oct' && typeof jwk.kid === 'string' && typeof jwk.k === 'string') {
        keys.set(jwk.kid, Buffer.from(jwk.k, 'base64url'));
      }
    }
    this.#keys = keys;
  }

  // Read, change, seal, write to a temp file and rename over the original (atomic on POSIX).
  // Concurrent writers are serialised by the caller (the rotation holds a database lock).
  async #mutate(change: (set: KeySet) => Promise<void>): Promise<void> {
    const set = await this.#readSet();
    await change(set);
    const tmp = `${this.options.path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, await sealJson(set.toPrivateJson(), this.options.passphrase, sealOptions(this.options)), { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, this.options.path);
    this.#lastReload = Date.now();
    this.#remember(set);
  }
}

function sealOptions(options: KeystoreFileOptions): { iterations?: number } {
  return options.iterations ? { iterations: options.iterations } : {};
}
