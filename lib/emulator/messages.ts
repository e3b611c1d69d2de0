export interface UiText {
  id: number;
  text: string;
  type: 'info' | 'error' | 'success';
  context?: Record<string, unknown>;
}

const info = (id: number, text: string, context?: Record<string, unknown>): UiText => (context ? { id, text, type: 'info', context } : { id, text, type: 'info' });
const error = (id: number, text: string, context?: Record<string, unknown>): UiText => (context ? { id, text, type: 'error', context } : { id, text, type: 'error' });

const minutesAgo = (ms: number): string => (Math.max(0, ms) / 60_000).toFixed(2);

/** Kratos v1.3 UI texts (`text/message_*.go`), by what they say. */
export const T = {
  signIn: () => info(1010001, 'Sign in'),
  reAuth: () => info(1010003, 'Please confirm this action by verifying that it is you.'),
  mfa: () => info(1010004, 'Please complete the second authentication challenge.'),
  totpLabel: () => info(1010006, 'Authentication code'),
  lookupLabel: () => info(1010007, 'Backup recovery code'),
  useTotp: () => info(1010009, 'Use Authenticator'),
  useLookup: () => info(1010010, 'Use backup recovery code'),
  signInWithPassword: () => info(1010022, 'Sign in with password'),
  signUp: () => info(1040001, 'Sign up'),
  back: () => info(1040008, 'Back'),
  chooseCredential: () => info(1040009, 'Please choose a credential to authenticate yourself with.'),
  settingsSaved: (): UiText => ({ id: 1050001, text: 'Your changes have been saved!', type: 'success' }),
  unlinkTotp: () => info(1050004, 'Unlink TOTP Authenticator App'),
  totpQr: () => info(1050005, 'Authenticator app QR code'),
  totpSecret: (secret: string) => info(1050006, secret, { secret }),
  revealLookup: () => info(1050007, 'Reveal backup recovery codes'),
  regenerateLookup: () => info(1050008, 'Generate new backup recovery codes'),
  lookupSecret: (secret: string) => info(1050009, secret, { secret }),
  lookupSecretsLabel: () => info(1050010, 'These are your back up recovery codes. Please keep them in a safe place!'),
  confirmLookup: () => info(1050011, 'Confirm backup recovery codes'),
  lookupUsed: (usedAt: string, unix: number) => info(1050014, `Secret was used at ${usedAt}`, { used_at: usedAt, used_at_unix: unix }),
  lookupList: (secrets: string[], raw: unknown[]) => info(1050015, secrets.join(', '), { secrets: raw }),
  disableLookup: () => info(1050016, 'Disable this method'),
  totpSecretLabel: () => info(1050017, 'This is your authenticator app secret. Use it if you can not scan the QR code.'),
  recoverySuccessful: (expiresAtMs: number, nowMs: number): UiText => ({
    ...info(
      1060001,
      `You successfully recovered your account. Please change your password or set up an alternative login method (e.g. social sign in) within the next ${minutesAgo(expiresAtMs - nowMs)} minutes.`,
      { privileged_session_expires_at: new Date(expiresAtMs).toISOString(), privileged_session_expires_at_unix: Math.floor(expiresAtMs / 1000) },
    ),
    type: 'success',
  }),
  recoveryCodeSent: () =>
    info(1060003, 'An email containing a recovery code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with.'),
  password: () => info(1070001, 'Password'),
  schemaTitle: (title: string) => info(1070002, title, { title }),
  save: () => info(1070003, 'Save'),
  id: () => info(1070004, 'ID'),
  verifyCode: () => info(1070006, 'Verify code'),
  email: () => info(1070007, 'Email'),
  resendCode: () => info(1070008, 'Resend code'),
  continue: () => info(1070009, 'Continue'),
  recoveryCode: () => info(1070010, 'Recovery code'),
  verificationCode: () => info(1070011, 'Verification code'),
  verified: (): UiText => ({ id: 1080002, text: 'You successfully verified your email address.', type: 'success' }),
  verificationCodeSent: () =>
    info(1080003, 'An email containing a verification code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with.'),
  generic: (reason: string) => error(4000001, reason, { reason }),
  required: (property: string) => error(4000002, `Property ${property} is missing.`, { property }),
  minLength: (min: number, actual: number) => error(4000003, `length must be >= ${min}, but got ${actual}`, { min_length: min, actual_length: actual }),
  pattern: (pattern: string) => error(4000004, `does not match pattern ${JSON.stringify(pattern)}`, { pattern }),
  invalidCredentials: () => error(4000006, 'The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.'),
  duplicate: () => error(4000007, 'An account with the same identifier (email, phone, username, ...) exists already.'),
  totpWrong: () => error(4000008, 'The provided authentication code is invalid, please try again.'),
  addressNotVerified: () => error(4000010, 'Account not active yet. Did you forget to verify your email address?'),
  noTotp: () => error(4000011, 'You have no TOTP device set up.'),
  lookupAlreadyUsed: () => error(4000012, 'This backup recovery code has already been used.'),
  noLookup: () => error(4000014, 'You have no backup recovery codes set up.'),
  lookupInvalid: () => error(4000016, 'The backup recovery code is not valid.'),
  maxLength: (max: number, actual: number) => error(4000017, `length must be <= ${max}, but got ${actual}`, { max_length: max, actual_length: actual }),
  wrongType: (allowed: string[], actual: string) => error(4000026, `expected ${allowed.join(' or ')}, but got ${actual}`, { allowed_types: allowed, actual_type: actual }),
  duplicateWithHints: (identifier: string, types: string[]) => {
    const readable = types.map((t) => (t === 'password' ? 'your password' : t === 'oidc' ? 'social sign in' : t));
    if (readable.length > 1) readable[readable.length - 1] = 'or ' + readable[readable.length - 1];
    let text = `You tried signing in with ${identifier || 'an email, phone, or username'} which is already in use by another account.`;
    if (readable.length > 0) text += ` You can sign in using ${readable.join(', ')}.`;
    return error(4000028, text, { available_credential_types: types, available_oidc_providers: [], credential_identifier_hint: identifier });
  },
  passwordTooSimilar: () => error(4000031, 'The password can not be used because it is too similar to the identifier.'),
  passwordMinLength: (min: number, actual: number) =>
    error(4000032, `The password must be at least ${min} characters long, but got ${actual}.`, { min_length: min, actual_length: actual }),
  passwordMaxLength: (max: number, actual: number) =>
    error(4000033, `The password must be at most ${max} characters long, but got ${actual}.`, { max_length: max, actual_length: actual }),
  flowExpired: (flow: 'login' | 'registration' | 'settings', expiredAtMs: number, nowMs: number) =>
    error({ login: 4010001, registration: 4040001, settings: 4050001 }[flow], `The ${flow} flow expired ${minutesAgo(nowMs - expiredAtMs)} minutes ago, please try again.`, {
      expired_at: new Date(expiredAtMs).toISOString(),
      expired_at_unix: Math.floor(expiredAtMs / 1000),
    }),
  recoveryRetrySuccess: () => error(4060001, 'The request was already completed successfully and can not be retried.'),
  recoveryExpired: (expiredAtMs: number, nowMs: number) =>
    error(4060005, `The recovery flow expired ${minutesAgo(nowMs - expiredAtMs)} minutes ago, please try again.`, { expired_at: new Date(expiredAtMs).toISOString() }),
  recoveryCodeInvalid: () => error(4060006, 'The recovery code is invalid or has already been used. Please try again.'),
  verificationRetrySuccess: () => error(4070002, 'The request was already completed successfully and can not be retried.'),
  verificationExpired: (expiredAtMs: number, nowMs: number) =>
    error(4070005, `The verification flow expired ${minutesAgo(nowMs - expiredAtMs)} minutes ago, please try again.`, { expired_at: new Date(expiredAtMs).toISOString() }),
  verificationCodeInvalid: () => error(4070006, 'The verification code is invalid or has already been used. Please try again.'),
};
