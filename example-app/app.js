'use strict';

const path = require('node:path');
const express = require('express');
const helmet = require('helmet');
const { createKratos } = require('kratos-express');
const { apiErrors, errorPage, notFound } = require('./errors');
const viewHelpers = require('./view-helpers');

const FLOW_PAGES = ['/login', '/registration', '/settings', '/recovery', '/verification', '/error'];

/**
 * The example app: an Express app protected by Kratos through kratos-express.
 *
 * @param {{ publicUrl: string, browserUrl: string }} options
 *   publicUrl: where this server reaches Kratos' public API;
 *   browserUrl: where browsers reach it, '/.ory' (this app's own proxy) or an absolute URL.
 * @returns {{ app: import('express').Express, close: () => Promise<void> }}
 */
function createApp({ publicUrl, browserUrl }) {
  // One configuration, one keep-alive pool to Kratos, shared by every middleware below.
  const kratos = createKratos({ publicUrl, browserUrl });
  const proxied = browserUrl.startsWith('/');

  const app = express();
  app.set('views', path.join(__dirname, 'views'));
  app.set('view engine', 'ejs');
  app.set('view options', { rmWhitespace: true });
  Object.assign(app.locals, viewHelpers);

  // helmet's default Content-Security-Policy. Forms post to Kratos: same origin through the proxy;
  // a Kratos on another origin must be allowed in form-action.
  const formAction = proxied ? ["'self'"] : ["'self'", new URL(browserUrl).origin];
  app.use(helmet({ contentSecurityPolicy: { directives: { 'form-action': formAction } } }));

  // Kratos' public API on this origin under /.ory, mounted before any body parser so that
  // form posts reach Kratos untouched and Kratos' cookies become first-party.
  if (proxied) app.use(kratos.kratosProxy({ prefix: browserUrl }));

  app.use(express.static(path.join(__dirname, 'public'), { maxAge: '1h' }));

  // /login /registration /settings /recovery /verification /error /logout, rendered by views/flow.ejs.
  // optionalSession() first, so the pages' header knows who is signed in (the flow routes reuse it).
  app.use(FLOW_PAGES, kratos.optionalSession());
  app.use(kratos.flowRoutes({ render: 'flow', home: '/' }));

  app.get('/', kratos.optionalSession(), function home(req, res) {
    res.render('home', { title: 'Home' });
  });

  app.get('/dashboard', kratos.requireSession(), function dashboard(req, res) {
    res.render('dashboard', { title: 'Dashboard' });
  });

  app.get('/secure', kratos.requireSession({ aal: 'aal2' }), function secure(req, res) {
    res.render('secure', { title: 'Secure page' });
  });

  app.use('/api', apiRoutes(kratos));
  app.use(notFound);
  app.use(errorPage);

  return { app, close: () => kratos.close() };
}

/** A small JSON API: always JSON, 401 in Kratos' error envelope without a session (never a redirect). */
function apiRoutes(kratos) {
  const api = express.Router();
  api.use(kratos.requireSession({ onUnauthenticated: 'error' }));
  api.get('/me', function me(req, res) {
    const session = kratos.getSession(req);
    res.json({
      identity: { id: session.identity.id, traits: session.identity.traits },
      session: {
        id: session.id,
        aal: session.authenticator_assurance_level,
        methods: (session.authentication_methods || []).map((m) => m.method),
        expiresAt: session.expires_at,
      },
    });
  });
  api.use(notFound);
  api.use(apiErrors);
  return api;
}

module.exports = { createApp };
