import type { Session } from '@ory/kratos-client-fetch';

/*
 * `res.locals.session` and `res.locals.logoutUrl` are typed for every Express app. `req.session` is not
 * declared globally: express-session declares it with its own type and two declarations of one property
 * cannot coexist. Read the session with `getSession(req)`, or declare the property in your app (see
 * docs/session.md).
 */
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      session?: Session;
      logoutUrl?: string;
    }
  }
}

export type { Session };
