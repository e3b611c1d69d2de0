const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
};

const DEFAULT_MESSAGE: Record<number, string> = {
  400: 'The request was malformed or contained invalid parameters',
  401: 'The request could not be authorized',
  403: 'The requested action was forbidden',
  404: 'The requested resource could not be found',
  409: 'The request could not be completed due to a conflict',
  410: 'The requested resource is no longer available because it has expired or is otherwise invalid.',
  413: 'The request body is too large',
  415: 'The request content type is not supported',
  422: 'The request was well-formed but was unable to be followed due to semantic errors',
  500: 'An internal server error occurred, please contact the system administrator',
};

export interface ErrorFields {
  id?: string;
  reason?: string;
  message?: string;
  details?: Record<string, unknown>;
}

/** A Kratos (herodot) error: `{ error: { id?, code, status, reason?, message, details? }, ...siblings }`. */
export class KratosError extends Error {
  readonly error: Record<string, unknown>;
  constructor(readonly status: number, fields: ErrorFields = {}, readonly siblings: Record<string, unknown> = {}) {
    const message = fields.message ?? DEFAULT_MESSAGE[status] ?? 'Error';
    super(fields.reason ?? message);
    const error: Record<string, unknown> = {};
    if (fields.id) error.id = fields.id;
    error.code = status;
    error.status = STATUS_TEXT[status] ?? 'Error';
    if (fields.reason) error.reason = fields.reason;
    error.message = message;
    if (fields.details) error.details = fields.details;
    this.error = error;
  }

  body(): Record<string, unknown> {
    return { error: this.error, ...this.siblings };
  }
}

export const badRequest = (reason: string, id?: string, message?: string) => new KratosError(400, { id, reason, message });
export const notFound = () => new KratosError(404, { message: 'Unable to locate the resource' });
export const internalError = (reason: string) => new KratosError(500, { reason });

export const errSessionInactive = () =>
  new KratosError(401, { id: 'session_inactive', reason: 'No active session was found in this request.', message: 'request does not have a valid authentication session' });

export const errAal2Required = (url: string) =>
  new KratosError(
    403,
    {
      id: 'session_aal2_required',
      reason:
        'An active session was found but it does not fulfill the requested Authenticator Assurance Level. Please verify yourself with a second factor to resolve this issue.',
      message: 'Session does not fulfill the requested Authenticator Assurance Level',
      details: { redirect_browser_to: url },
    },
    { redirect_browser_to: url },
  );

export const errAal1Required = () =>
  new KratosError(401, {
    id: 'session_aal1_required',
    reason: 'You can not requested a higher AAL (AAL2/AAL3) without an active session.',
    message: 'aal2 and aal3 can only be requested if a session exists already',
  });

export const errRefreshRequired = (url: string) =>
  new KratosError(
    403,
    { id: 'session_refresh_required', reason: 'The login session is too old and thus not allowed to update these fields. Please re-authenticate.' },
    { redirect_browser_to: url },
  );

export const errAlreadyLoggedIn = (reason: string, message = 'you are already logged in') => new KratosError(400, { id: 'session_already_available', reason, message });

export const errReturnToForbidden = (url: string) =>
  new KratosError(400, { id: 'self_service_flow_return_to_forbidden', reason: `Requested return_to URL ${JSON.stringify(url)} is not allowed.` });

export const errBrowserLocationChange = (url: string) =>
  new KratosError(
    422,
    { id: 'browser_location_change_required', reason: `In order to complete this flow please redirect the browser to: ${url}`, message: 'browser location change required' },
    { redirect_browser_to: url },
  );

export const errIdentityMismatch = () =>
  new KratosError(403, { id: 'security_identity_mismatch', reason: 'The request was made for another identity and has been blocked for security reasons.' });

export const errCsrf = () =>
  new KratosError(403, {
    id: 'security_csrf_violation',
    reason:
      'Please retry the flow and optionally clear your cookies. The request was rejected to protect you from Cross-Site-Request-Forgery (CSRF) which could cause account takeover, leaking personal information, and other serious security issues.',
    message: 'the request was rejected to protect you from Cross-Site-Request-Forgery',
    details: {
      docs: 'https://www.ory.sh/kratos/docs/debug/csrf',
      hint: 'The anti-CSRF cookie was found but the CSRF token was not included in the HTTP request body (csrf_token) nor in the HTTP Header (X-CSRF-Token).',
      reject_reason:
        'The HTTP Cookie Header was set and a CSRF token was sent but they do not match. We recommend deleting all cookies for this domain and retrying the flow.',
    },
  });

export const errFlowMissing = () => badRequest('The flow query parameter is missing or malformed.');
