'use strict';

const { STATUS_CODES } = require('node:http');
const { toKratosErrorBody } = require('kratos-express');

// What a person reads for each of the kit's error codes. Branch on `err.code`, never on `instanceof`.
const FRIENDLY = {
  UNAUTHENTICATED: { title: 'Please sign in', text: 'You need to be signed in to see this page.' },
  AAL2_REQUIRED: { title: 'Second factor needed', text: 'This page needs your authenticator app or a backup code.' },
  REFRESH_REQUIRED: { title: 'Please sign in again', text: 'For your security, confirm your password before going on.' },
  FORBIDDEN: { title: 'Not allowed', text: 'Your account is not allowed to see this page.' },
  BAD_REQUEST: { title: 'Bad request', text: 'The link or form you used is broken or has been tampered with.' },
  NOT_FOUND: { title: 'Page not found', text: 'There is nothing at this address.' },
  KRATOS_UNREACHABLE: { title: 'Sign-in is unavailable', text: 'We cannot reach the sign-in service right now. You are not signed out: please try again in a moment.' },
  KRATOS_TIMEOUT: { title: 'Sign-in is slow', text: 'The sign-in service did not answer in time. You are not signed out: please try again in a moment.' },
  KRATOS_UNAVAILABLE: { title: 'Sign-in is unavailable', text: 'The sign-in service is busy or down for maintenance. You are not signed out: please try again in a moment.' },
  KRATOS_BAD_RESPONSE: { title: 'Sign-in is unavailable', text: 'The sign-in service gave an answer we could not understand. Please try again in a moment.' },
};

function statusOf(err) {
  const status = Number(err && (err.status ?? err.statusCode));
  return Number.isInteger(status) && status >= 400 && status <= 599 ? status : 500;
}

function notFoundError(req) {
  const err = new Error(`No page at ${req.path}.`);
  err.code = 'NOT_FOUND';
  err.status = 404;
  err.expose = true;
  return err;
}

/** Unknown paths become a 404 error, rendered by the error handlers below. */
function notFound(req, res, next) {
  next(notFoundError(req));
}

function prepare(err, res) {
  const status = statusOf(err);
  if (status >= 500) console.error(err);
  // e.g. Retry-After when Kratos answered 429/503
  if (err && err.headers && typeof err.headers === 'object') {
    for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
  }
  res.status(status);
  return status;
}

/** JSON errors in Kratos' own envelope, for the API routes. */
function apiErrors(err, req, res, next) {
  if (res.headersSent) return next(err);
  prepare(err, res);
  res.json(toKratosErrorBody(err));
}

/** Any error on a page: a friendly HTML page (or JSON for clients that ask for it). */
function errorPage(err, req, res, next) {
  if (res.headersSent) return next(err);
  const status = prepare(err, res);
  if (req.accepts(['html', 'json']) === 'json') return res.json(toKratosErrorBody(err));
  const friendly = FRIENDLY[err && err.code] ?? {
    title: STATUS_CODES[status] ?? 'Error',
    text: status >= 500 ? 'Something went wrong on our side. Please try again.' : 'This request could not be handled.',
  };
  res.render('error', {
    title: friendly.title,
    text: friendly.text,
    status,
    code: (err && typeof err.code === 'string' && err.code) || undefined,
    // 4xx messages of the kit are written to be shown; 5xx details stay in the log.
    detail: status < 500 && err && err.expose !== false && err.message ? err.message : undefined,
    // The login URL the kit computed for AAL2_REQUIRED / REFRESH_REQUIRED, always a Kratos URL.
    action: err && typeof err.redirectTo === 'string' ? err.redirectTo : undefined,
  });
}

module.exports = { apiErrors, errorPage, notFound };
