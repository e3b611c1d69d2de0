import type { KratosClient, SessionCredentials } from '../kratos/client';

/**
 * A view of the kit's Kratos client (same keep-alive pool) whose `whoami` asks Kratos to add a JWT signed with
 * the named tokenizer template (`GET /sessions/whoami?tokenize_as=<template>`), for a session core of its own.
 */
export function tokenizingClient(client: KratosClient, template: string): KratosClient {
  const view = Object.create(client) as KratosClient;
  view.whoami = (credentials: SessionCredentials, signal?: AbortSignal) =>
    client.request({
      path: '/sessions/whoami',
      query: { tokenize_as: template },
      headers: credentials.sessionToken !== undefined ? { 'x-session-token': credentials.sessionToken } : { cookie: credentials.cookie },
      signal,
    });
  return view;
}

/** Seconds until a JWT's `exp` (negative once expired; `-Infinity` when it cannot be read). */
export function secondsLeft(token: string | undefined, now = Date.now()): number {
  try {
    const exp = (JSON.parse(Buffer.from(String(token).split('.')[1], 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp - now / 1000 : Number.NEGATIVE_INFINITY;
  } catch {
    return Number.NEGATIVE_INFINITY;
  }
}
