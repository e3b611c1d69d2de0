import type { Core } from './core';
import { notFound } from './errors';
import type { Router } from './router';

/** Health, version and identity-schema routes (both servers). */
export function registerMiscRoutes(router: Router, core: Core): void {
  router.add(['GET'], '/health/alive', (ctx) => ctx.json(200, { status: 'ok' }));
  router.add(['GET'], '/health/ready', (ctx) => ctx.json(200, { status: 'ok' }));
  router.add(['GET'], '/version', (ctx) => ctx.json(200, { version: 'v1.3.1' }));
  router.add(['GET'], '/schemas', (ctx) => {
    ctx.json(200, [...core.schemas.values()].map((s) => ({ id: s.id, schema: s.config.schema })));
  });
  router.add(['GET'], '/schemas/{id}', (ctx, { id }) => {
    const schema = core.schemas.get(id) ?? core.schemas.get(Buffer.from(id, 'base64url').toString('utf8'));
    if (!schema) return ctx.error(notFound());
    ctx.json(200, schema.config.schema);
  });
}
