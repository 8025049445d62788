/**
 * The one-way layers of services/tsp/src (docs/architecture.md, "Layers"), checked by
 * dependency-cruiser: `pnpm run lint:layers`, and services/tsp/test/architecture/layers.test.ts.
 *
 * A module may import its own layer and any layer below it, never one above. Type-only imports
 * count (tsPreCompilationDeps), and no import cycle is allowed at all, not even within a layer.
 * The layers, top to bottom, are the only place the allowed edges are written.
 */
const SRC = '^services/tsp/src/';

/** Top to bottom. `paths` are relative to services/tsp/src. */
const LAYERS = [
  // Builds everything: the composition root (and its port adapters), the server, the CLI.
  { name: 'entry', paths: ['compose\\.ts$', 'composition/', 'server\\.ts$', 'cli/', 'sandbox-guide\\.ts$', 'sandbox-issuer\\.ts$'] },
  { name: 'http', paths: ['http/'] },
  { name: 'domain', paths: ['domain/'] },
  // Areas the domain builds on. Peers: they may import each other (without cycles) and below.
  { name: 'areas', paths: ['vault/', 'risk/', 'workers/'] },
  { name: 'audit', paths: ['audit/'] },
  // ServiceContext: configuration, the database handle, logger and metrics every area receives.
  { name: 'context', paths: ['context\\.ts$'] },
  { name: 'store', paths: ['store/'] },
  // Imported by every layer: configuration, errors, logging and metrics, small utilities.
  { name: 'foundation', paths: ['errors\\.ts$', 'config\\.ts$', 'observability/', 'util/'] },
];

const pathsOf = (layer) => layer.paths.map((p) => SRC + p);

const upwardRules = LAYERS.slice(1).map((layer, i) => ({
  name: `no-upward-from-${layer.name}`,
  severity: 'error',
  comment: `${layer.name} may import only its own layer and the layers below it (docs/architecture.md)`,
  from: { path: pathsOf(layer) },
  to: { path: LAYERS.slice(0, i + 1).flatMap(pathsOf)},
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...upwardRules,
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles (type-only imports included) make the layers meaningless and the start order fragile',
      from: { path: SRC },
      to: { circular: true },
    },
    {
      name: 'no-unlayered',
      severity: 'error',
      comment: 'Every module of services/tsp/src belongs to a layer: add a new folder to LAYERS in .dependency-cruiser.cjs',
      from: { path: SRC, pathNot: LAYERS.flatMap(pathsOf) },
      to: {},
    },
  ],
  options: {
    includeOnly: SRC,
    doNotFollow: { path: 'node_modules' },
    // Count `import type` too: a type-only import up the layers is still a dependency up the layers.
    tsPreCompilationDeps: true,
  },
};
