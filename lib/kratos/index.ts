export { KratosClient, errorFromResponse, type KratosRequest, type KratosResponse, type SessionCredentials } from './client';
export {
  KratosConfigError,
  checkKratosOptions,
  resolveConfig,
  unknownOptionProblems,
  KRATOS_OPTION_NAMES,
  type FetchLike,
  type FetchLikeInit,
  type FetchLikeResponse,
  type KratosOptions,
  type ResolvedKratosConfig,
} from './config';
export { parseDuration } from './duration';
export { KratosExpressError, isKratosExpressError, toKratosErrorBody, type KratosErrorBody, type KratosErrorCode, type KratosResponseCause } from './errors';
export {
  browserBaseUrl,
  currentUrl,
  getCredentials,
  isAllowedReturnUrl,
  isBrowserNavigation,
  loginUrl,
  safeReturnTo,
  toBrowserUrl,
  type LoginUrlOptions,
  type RequestCredentials,
} from './request';
export type { ReturnUrlRule } from './return-url-rules';
