import { createIssuerSim } from './app';

// Stand-alone issuer simulator for demos: `pnpm --filter @opentsp/issuer-sim start`.
// TSP_URL (e.g. http://127.0.0.1:8080) turns on OpenTSP-Signature verification against its JWKS.
const port = Number(process.env.PORT ?? 8090);
const tspUrl = process.env.TSP_URL || undefined;
const { app } = createIssuerSim(tspUrl ? { tspUrl } : {});
// A clean exit on SIGTERM (the bench stops it so): `node --cpu-prof` writes its profile only then.
process.once('SIGTERM', () => process.exit(0));
app.listen(port, '127.0.0.1', () => {
  process.stdout.write(`issuer-sim listening on http://127.0.0.1:${port}${tspUrl ? ` (verifying signatures of ${tspUrl})` : ' (signatures NOT verified: set TSP_URL)'}\n`);
});
