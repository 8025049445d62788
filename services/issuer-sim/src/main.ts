import { createIssuerSimApp } from './app';

// Stand-alone issuer simulator for demos: `pnpm --filter @opentsp/issuer-sim start`.
const port = Number(process.env.PORT ?? 8090);
createIssuerSimApp().listen(port, '127.0.0.1', () => {
  process.stdout.write(`issuer-sim listening on http://127.0.0.1:${port}\n`);
});
