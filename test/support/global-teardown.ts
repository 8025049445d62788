import { rm } from 'node:fs/promises';
import path from 'node:path';
import { dropTemplateDatabase, TEMPLATE_DATABASE_ENV } from './test-database';

export default async function globalTeardown(): Promise<void> {
  const template = process.env[TEMPLATE_DATABASE_ENV];
  if (template) {
    await dropTemplateDatabase(template);
    delete process.env[TEMPLATE_DATABASE_ENV];
  }
  const embedded = (globalThis as { __opentspEmbeddedPostgres?: { stop(): Promise<void> } }).__opentspEmbeddedPostgres;
  if (!embedded) return;
  await embedded.stop();
  await rm(path.resolve(__dirname, '..', '..', '.data', `test-postgres-${process.pid}`), { recursive: true, force: true });
}
