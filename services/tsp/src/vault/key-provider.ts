/**
 * Where key-encryption keys (KEKs) live. The vault never sees a KEK: it hands the provider a
 * data key to wrap or a wrapped data key to unwrap, naming the KEK version. The default is a
 * passphrase-sealed keystore file (keystore-file-provider.ts); an HSM or cloud KMS plugs in
 * behind the same interface (its `wrap`/`unwrap` become KMS Encrypt/Decrypt calls).
 *
 * Versions are small integers chosen by the vault (`kek_versions.version`); the provider
 * maps each to its own key id (`kid`).
 */
export interface KeyProvider {
  /** Recorded with every KEK version (`keystore-file`, `aws-kms`, …). */
  readonly name: string;
  /** Creates KEK `version` unless it exists (idempotent, so an interrupted rotation can rerun); returns its kid. */
  createKek(version: number): Promise<string>;
  /** Whether KEK `version` exists and can be used now (reloads from the source once if unknown). */
  hasKek(version: number): Promise<boolean>;
  /** AES-256-GCM-wraps a 32-byte data key under KEK `version`, authenticating `aad`. */
  wrap(version: number, dataKey: Buffer, aad: Buffer): Promise<Buffer>;
  /** Unwraps; any failure (unknown version, tampering, wrong AAD) is the generic `VaultError`. */
  unwrap(version: number, wrapped: Buffer, aad: Buffer): Promise<Buffer>;
  /** Destroys KEK `version` for good (after retirement: nothing is wrapped under it any more). */
  destroyKek(version: number): Promise<void>;
  /**
   * The secret of keyed PAN hashes (fingerprint and PAR, PCI DSS 4.0 req. 3.5.1.1). It never
   * rotates: PARs must stay stable for the life of the account (EMVCo PAR Technical Note).
   */
  panHashKey(): Promise<Buffer>;
  /**
   * The key of the audit log's hash chain (HMAC-SHA256 per entry, DESIGN §4): held here, not
   * in the database, so a database insider cannot recompute the chain over rewritten entries.
   * It never rotates (every entry since the first is chained under it).
   */
  auditChainKey(): Promise<Buffer>;
}
