import type { KratosResponseCause } from '../kratos/errors';

/** Stable codes of the proxy pieces. Branch on `err.code`, never on `instanceof`. */
export type ProxyErrorCode =
  | 'PROXY_BODY_CONSUMED'
  | 'PROXY_NOT_FOUND'
  | 'PROXY_BAD_PATH'
  | 'UPSTREAM_UNREACHABLE'
  | 'UPSTREAM_TIMEOUT'
  | 'GATE_JWT_FAILED';

const STATUS: Record<ProxyErrorCode, number> = {
  PROXY_BODY_CONSUMED: 500,
  PROXY_NOT_FOUND: 404,
  PROXY_BAD_PATH: 400,
  UPSTREAM_UNREACHABLE: 502,
  UPSTREAM_TIMEOUT: 504,
  GATE_JWT_FAILED: 500,
};

/**
 * Error of the same-origin proxy, the gate and forward-auth. Like the kit's `KratosExpressError` it carries a
 * stable `code`, `status`/`statusCode` and `expose` (true for 4xx), so Express' error handler answers right.
 *
 * @example
 * app.use((err, req, res, next) => {
 *   if (err.code === 'UPSTREAM_UNREACHABLE') return res.status(502).send('The service is down.');
 *   next(err);
 * });
 */
export class ProxyError extends Error {
  override readonly name = 'ProxyError';
  readonly code: ProxyErrorCode;
  readonly status: number;
  readonly statusCode: number;
  readonly expose: boolean;
  declare readonly cause?: KratosResponseCause | Error;

  constructor(code: ProxyErrorCode, message: string, cause?: KratosResponseCause | Error) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.status = STATUS[code];
    this.statusCode = this.status;
    this.expose = this.status < 500;
  }
}
