/** `jti`s of accepted `private_key_jwt` assertions, kept until the assertion's `exp` (RFC 7523 §3). */
export interface ClientAssertionJtisTable {
  client_id: string;
  jti: string;
  expires_at: Date;
}
