import type { Jwk, PublicJwk } from '@opentsp/crypto';

/*
 * The simulator's SANDBOX card-data key (RSA-OAEP-256): the TSP encrypts the card data of a
 * token activation request (PAN, expiry, CVV2) to its public half, which the sandbox TSP
 * registers as the Sandbox Bank's `enc` key (services/tsp/src/domain/identity/
 * sandbox-bootstrap.ts keeps a copy; test/e2e/provisioning-card-verification.test.ts checks
 * they are the same key). The private half is published in this repository, so it protects
 * nothing but test cards: a real bank generates its own key in its HSM and registers only the
 * public half (`PATCH /v1/admin/issuers/{issuerId}` `jwks`).
 */
export const SANDBOX_CARD_KEY: Jwk = {
  kty: 'RSA',
  kid: 'issuer-sim-sandbox-enc-1',
  use: 'enc',
  alg: 'RSA-OAEP-256',
  e: 'AQAB',
  n: 'v3MPzexGh0woHJdetjoFudzdsE5BtsB8ADdGwJKQGF99157XJqVNzD3VMn-jc-YMhqqc1lazmSopec_z85Rl5QCvL2IvqdL7k3NlYv4G9AXeRdWWYcxG54afFouIYZfr0iajoCyC6wbGZFkdsMal5i3Fpxy2ZYtQZfA7oOQ5F_WD3JsF5t7mAL6msQkRbFlQBbp6nMKNqKZ3-bHY7U8bthUrBcPVBjTxIiBfj5xlefiPjvnrAN0Bkc7Dr2SkWfGUSfMtK9wjw7vi_03C16r7hBANBzzbSVmCvx3vQ2_W0Xluntp3ppKTVE2DMxxVZpYek49gI9zKxmnmFDZFn59Vqw',
  d: 'HlvIPsw1JuaXBGmlytm1PL2JqJfQPdg_ZugHtSkd5m-GDLdoa1K9MneqThawEa8s1KdLYDBhdxaY0HMpvmS4KlyLFcVzxMdAaNJcr8TpJLBQMzIPuwm3Q1GKpVA9Bn9zwAsBLrjAOIqw0mAl9XlFUhR3X5eNqNky8jyVCAoIr66oWyukwYaIBbyIhhQo-gxEn-JH9kNfE0xSGTnazQIi6r2eusT2dnmWiRI2uZGJ9VnsvqDi4GypHliH0gVg1D1fXNsnEjcM-Tc2Dzxlp5c3Sk7aNe_zV3AV645kVV-17E8W7zD1gGgNgKpzUMTZM-jRa5ohhtFRTqJBcrYhzY4k8Q',
  p: '6l8tICtuaO21etkDOKnULiS-OoIzoeOy6xLVD9S8d_lkk44FB8JxRZ3ILQVAELBq5ifHlVg7Gx4E79NBhiZsuVmdhIp_FNin4C4ZUuS46U4e6fitynAux4r2fxZRd3zktJa8WqsOj28ou_P-eumKZuu-l8O1UcXhxF7g9BVnUfM',
  q: '0R3iTQhrnTK3oLkfrX-LKtuu6b_wj1xSrOVBE4RtoBxab8PreR9FyLuHo3D9ZZ95VBd7vQNvUocX4x5-u9tsqJDXoIiDcvkhk8qAYIMlNIEN54O6esu7KlOFc2JmYIuQDoarxZkqOFBiAnGaZr_mlAy5wWGFZbT9z_NOIRfro2k',
  dp: 'qXFX-ZsMvtWk0AUXHB9EJHwx_7DkTVWGpAdAfKqL-50Vhsw1fM-p_u-8qjfSgn5ZOr5lv-ZDDS7d2Nl91NPw5OwSQqGykMq2TBBoBJMR0LLHDNbaJrKGT4N7BJSJH37vBlS4JkDnTPHLnF8hi5FOm2wyphw6-by7pbIGptDWmts',
  dq: 'xMCXUd9gUVGM0F4d3gIpELQNyMTdNCWrbB1vs0tgUcsblBkEjrvLzugS4MbIxDrdzy8hL1_x9_Y_lWP13g7AF4HgP5zyANVCsGlRjH0YHmRmjrO0WyEhAtv-reehZ6koa2Jub8aCoOWQsbftjEt2SUoH5Fk7R8yZGnVTx3NYNDE',
  qi: '3PjDCDIkYMR60CrfVxIbb7wuu0H_F7bPE0OI7GfEDfIWtqkSnm-THfmIjz5in-nGQL4xZL-KY9AeZjeCeCQUtTm8HWc8f4RM_rCdCTsA2uN9taLFI9vOmupv03Ig55K1hGUR1nkPVahQcGsALipR2Wzw37VjSAzZkFu5eU8vpaw',
};

/** The public half, as registered with the sandbox TSP. */
export const SANDBOX_CARD_PUBLIC_KEY: PublicJwk = {
  kty: 'RSA',
  n: 'v3MPzexGh0woHJdetjoFudzdsE5BtsB8ADdGwJKQGF99157XJqVNzD3VMn-jc-YMhqqc1lazmSopec_z85Rl5QCvL2IvqdL7k3NlYv4G9AXeRdWWYcxG54afFouIYZfr0iajoCyC6wbGZFkdsMal5i3Fpxy2ZYtQZfA7oOQ5F_WD3JsF5t7mAL6msQkRbFlQBbp6nMKNqKZ3-bHY7U8bthUrBcPVBjTxIiBfj5xlefiPjvnrAN0Bkc7Dr2SkWfGUSfMtK9wjw7vi_03C16r7hBANBzzbSVmCvx3vQ2_W0Xluntp3ppKTVE2DMxxVZpYek49gI9zKxmnmFDZFn59Vqw',
  e: 'AQAB',
  kid: 'issuer-sim-sandbox-enc-1',
  use: 'enc',
  alg: 'RSA-OAEP-256',
} as PublicJwk;
