import { rm } from 'node:fs/promises';
import path from 'node:path';

export default async function globalTeardown(): Promise<void> {
  const embedded = (globalThis as { __opentspEmbeddedPostgres?: { stop(): Promise<void> } }).__opentspEmbeddedPostgres;
  if (!embedded) return;
  await embedded.stop();
  await rm(path.resolve(__dirname, '..', '..', '.data', `test-postgres-${process.pid}`), { recursive: true, force: true });
}
