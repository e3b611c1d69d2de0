import type { FileSource } from './config-files';
import type { Core } from './core';
import { registerAdminRoutes } from './routes-admin';
import { registerAdminFlowRoutes, registerFlowRoutes } from './routes-flows';
import { registerMiscRoutes } from './routes-misc';
import { registerSessionRoutes } from './routes-sessions';
import { Router } from './router';

export function buildRouters(core: Core, files: FileSource): { public: Router; admin: Router } {
  const pub = new Router();
  registerMiscRoutes(pub, core);
  registerSessionRoutes(pub, core, files);
  registerFlowRoutes(pub, core);
  const admin = new Router();
  registerMiscRoutes(admin, core);
  registerAdminRoutes(admin, core);
  registerAdminFlowRoutes(admin, core);
  return { public: pub, admin };
}
