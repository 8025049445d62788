import { defineConfig } from 'vite';

/*
 * The console is served by the TSP at /console (same origin as the API, so no CORS and the
 * TSP's CSP `script-src 'self'` holds: Vite emits no inline script). Hashed asset names let the
 * TSP cache them for long and keep index.html no-cache.
 */
export default defineConfig({
  base: '/console/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // Vite's module preload polyfill is an inline script, which the TSP's CSP refuses.
    modulePreload: { polyfill: false },
  },
});
