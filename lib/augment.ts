/**
 * Opt-in typing of `req.session` as the Kratos session, for apps that don't use express-session:
 *
 * @example
 * import 'kratos-express/augment';
 * app.get('/me', requireSession(), (req, res) => res.json(req.session?.identity?.traits));
 *
 * It is a separate entry point because express-session declares `req.session` with its own type, and
 * TypeScript cannot hold two types for one property. Next to express-session, use
 * `sessionProperty: 'kratosSession'` and declare that property instead (see docs/session.md).
 */
import type { Session } from '@ory/kratos-client-fetch';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The Kratos session attached by `requireSession()` / `optionalSession()`. */
      session?: Session;
    }
  }
}

export {};
