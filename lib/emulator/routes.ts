import type { FileSource } from './config-files';
import type { Core } from './core';
import { registerAdminRoutes } from './routes-admin';
import { registerMiscRoutes } from './routes-misc';
import { registerSessionRoutes } from './routes-sessions';
import { Router } from './router';

export function buildRouters(core: Core, files: FileSource): { public: Router; admin: Router } {
  const pub = new Router();
  registerMiscRoutes(pub, core);
  registerSessionRoutes(pub, core, files);
  const admin = new Router();
  registerMiscRoutes(admin, core);
  registerAdminRoutes(admin, core);
  return { public: pub, admin };
}
