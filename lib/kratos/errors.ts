import { STATUS_CODES } from 'node:http';

/** Stable error codes. Branch on `err.code`, never on `instanceof`. */
export type KratosErrorCode =
  | 'KRATOS_UNREACHABLE'
  | 'KRATOS_TIMEOUT'
  | 'KRATOS_UNAVAILABLE'
  | 'KRATOS_BAD_RESPONSE'
  | 'KRATOS_SESSION_PROPERTY_CONFLICT'
  | 'UNAUTHENTICATED'
  | 'AAL2_REQUIRED'
  | 'REFRESH_REQUIRED'
  | 'FORBIDDEN'
  | 'BAD_REQUEST';

/** What Kratos answered, kept on `err.cause` (absent when Kratos never answered). */
export interface KratosResponseCause {
  status: number;
  body: unknown;
}

const STATUS_BY_CODE: Record<KratosErrorCode, number> = {
  KRATOS_UNREACHABLE: 502,
  KRATOS_TIMEOUT: 504,
  KRATOS_UNAVAILABLE: 503,
  KRATOS_BAD_RESPONSE: 502,
  KRATOS_SESSION_PROPERTY_CONFLICT: 500,
  UNAUTHENTICATED: 401,
  AAL2_REQUIRED: 403,
  REFRESH_REQUIRED: 403,
  FORBIDDEN: 403,
  BAD_REQUEST: 400,
};

/** The `error.id` Kratos itself uses for the same situation, echoed in JSON answers. */
const KRATOS_ID_BY_CODE: Partial<Record<KratosErrorCode, string>> = {
  UNAUTHENTICATED: 'session_inactive',
  AAL2_REQUIRED: 'session_aal2_required',
  REFRESH_REQUIRED: 'session_refresh_required',
};

export interface KratosExpressErrorInit {
  /** Extra detail for logs and for `reason` in JSON answers (only exposed for 4xx). */
  reason?: string;
  /** Response headers the error handler should send, e.g. `{ 'Retry-After': '30' }`. */
  headers?: Record<string, string>;
  /** Kratos' answer, when there was one. */
  cause?: KratosResponseCause | Error;
  /** Where a browser should be sent to resolve the problem (login URL for 401/403 outcomes). */
  redirectTo?: string;
}

/**
 * The one error type of the kit. `status`/`statusCode` make Express' default handler answer with the right
 * status; `expose` is true for 4xx (their message is safe to show); `headers` carries e.g. `Retry-After`.
 *
 * @example
 * app.use((err, req, res, next) => {
 *   if (err.code === 'KRATOS_UNAVAILABLE') return res.status(503).render('maintenance');
 *   next(err);
 * });
 */
export class KratosExpressError extends Error {
  override readonly name = 'KratosExpressError';
  readonly code: KratosErrorCode;
  readonly status: number;
  readonly statusCode: number;
  readonly expose: boolean;
  readonly headers?: Record<string, string>;
  readonly reason?: string;
  readonly redirectTo?: string;
  declare readonly cause?: KratosResponseCause | Error;

  constructor(code: KratosErrorCode, message: string, init: KratosExpressErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.status = STATUS_BY_CODE[code];
    this.statusCode = this.status;
    this.expose = this.status < 500;
    if (init.headers) this.headers = init.headers;
    if (init.reason !== undefined) this.reason = init.reason;
    if (init.redirectTo !== undefined) this.redirectTo = init.redirectTo;
  }
}

/** True for errors raised by this kit (checks the shape, so it works across copies of the package). */
export function isKratosExpressError(err: unknown): err is KratosExpressError {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && Object.hasOwn(STATUS_BY_CODE, code);
}

/** Kratos' error envelope (`{ error: {...} }`), as in CONTRACT §5.1. */
export interface KratosErrorBody {
  error: { id?: string; code: number; status: string; reason?: string; message: string };
  redirect_browser_to?: string;
}

/**
 * Renders an error in Kratos' own error envelope, for JSON answers. 5xx errors that are not the kit's own
 * are reduced to a generic message so internals never leak.
 *
 * @example
 * res.status(err.status).json(toKratosErrorBody(err));
 * // { "error": { "id": "session_inactive", "code": 401, "status": "Unauthorized", "message": "..." } }
 */
export function toKratosErrorBody(err: unknown): KratosErrorBody {
  if (isKratosExpressError(err)) {
    const id = KRATOS_ID_BY_CODE[err.code];
    const body: KratosErrorBody = {
      error: {
        ...(id ? { id } : {}),
        code: err.status,
        status: STATUS_CODES[err.status] ?? 'Error',
        ...(err.expose && err.reason ? { reason: err.reason } : {}),
        message: err.message,
      },
    };
    if (err.redirectTo && (err.code === 'AAL2_REQUIRED' || err.code === 'REFRESH_REQUIRED')) {
      body.redirect_browser_to = err.redirectTo;
    }
    return body;
  }
  const raw = (err as { status?: unknown; statusCode?: unknown } | undefined) ?? {};
  const candidate = Number(raw.status ?? raw.statusCode);
  const status = Number.isInteger(candidate) && candidate >= 400 && candidate <= 599 ? candidate : 500;
  const message =
    status < 500 && err instanceof Error && (err as { expose?: unknown }).expose !== false
      ? err.message
      : 'An internal server error occurred, please contact the system administrator';
  return { error: { code: status, status: STATUS_CODES[status] ?? 'Error', message } };
}
