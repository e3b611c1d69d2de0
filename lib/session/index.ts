export { SessionCore, type SessionCheckResult, type SessionCoreStats } from './core';
export { getSession } from './attach';
export { anyOf, hasVerifiedAddress, hasVerifiedEmail, metadataEquals, metadataIncludes, traitEquals, traitIncludes, type SessionCheck } from './checks';
export { optionalSession, requireSession } from './factories';
export { getLogoutUrl, logoutUrlFor, type LogoutUrlOptions } from './logout';
export type { SessionMiddleware } from './middleware';
export type { LoginNeededHandler, NextFunction, OptionalSessionOptions, RequireSessionOptions } from './options';
export type { Session } from './types';
