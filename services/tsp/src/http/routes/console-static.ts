import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { Router, type Response } from 'express';
import { NotFoundError } from '../../errors';

/** Vite names every file under assets/ by its content hash: a changed file is a new URL. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html (and other unhashed files) are revalidated on every load, so a new build shows at once. */
const REVALIDATE = 'no-cache';

/**
 * Serves the built console (packages/console/dist) under `/console` as a single-page app:
 * real files as they are, hashed assets cached for a year, and any other path without a file
 * extension answered with index.html (the app routes on the client). A missing asset is a 404,
 * never index.html: HTML served as a script would only hide the broken build.
 *
 * The directory is checked per request, so building the console while the TSP runs is enough;
 * until then every page is a 503 that says how to build it.
 */
export function consoleStatic(consoleDir: string): Router {
  const router = Router();
  const index = path.join(consoleDir, 'index.html');

  router.use('/console', (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (!existsSync(index)) return void sendNotBuilt(res);
    next();
  });
  router.use(
    '/console',
    express.static(consoleDir, {
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      fallthrough: true,
      setHeaders: (res, file) => {
        const hashed = path.relative(consoleDir, file).split(path.sep)[0] === 'assets';
        res.setHeader('Cache-Control', hashed ? IMMUTABLE : REVALIDATE);
      },
    }),
  );
  router.get(/^\/console(\/.*)?$/, (req, res) => {
    const rest = req.path.slice('/console'.length);
    if (rest.startsWith('/assets/') || /\.[A-Za-z0-9]+$/.test(rest)) throw new NotFoundError('not_found', 'No such file in the console build.');
    res.setHeader('Cache-Control', REVALIDATE);
    res.sendFile(index);
  });
  return router;
}

function sendNotBuilt(res: Response): void {
  res.status(503).setHeader('Cache-Control', 'no-store').setHeader('Retry-After', '30').type('text/html').send(NOT_BUILT_PAGE);
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>OpenTSP console not built</title>
</head>
<body>
<main>
<h1>The token console is not built yet</h1>
<p>This TSP serves the console from its build output, which is missing. Build it, then reload this page:</p>
<pre><code>pnpm --filter @opentsp/console build</code></pre>
<p>(Or point <code>OPENTSP_CONSOLE_DIR</code> at a built console.)</p>
</main>
</body>
</html>
`;
