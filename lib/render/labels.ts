/** Built-in strings of the pages (not sent by Kratos). Override any of them with `RenderOptions.labels`. */
export interface RenderLabels {
  loginTitle: string;
  loginRefreshTitle: string;
  loginSecondFactorTitle: string;
  registrationTitle: string;
  settingsTitle: string;
  recoveryTitle: string;
  verificationTitle: string;
  errorTitle: string;
  createAccount: string;
  forgotPassword: string;
  signIn: string;
  backToSignIn: string;
  backHome: string;
  signOut: string;
  submit: string;
  required: string;
  errorStatus: string;
  groupPassword: string;
  groupOidc: string;
  groupProfile: string;
  groupLink: string;
  groupCode: string;
  groupTotp: string;
  groupLookupSecret: string;
  groupWebauthn: string;
  groupPasskey: string;
  groupIdentifierFirst: string;
  groupCaptcha: string;
  groupSaml: string;
  groupDefault: string;
}

export const defaultLabels: Readonly<RenderLabels> = Object.freeze({
  loginTitle: 'Sign in',
  loginRefreshTitle: 'Confirm it is you',
  loginSecondFactorTitle: 'Two-factor authentication',
  registrationTitle: 'Create an account',
  settingsTitle: 'Account settings',
  recoveryTitle: 'Recover your account',
  verificationTitle: 'Verify your account',
  errorTitle: 'Something went wrong',
  createAccount: 'Create an account',
  forgotPassword: 'Forgot your password?',
  signIn: 'Sign in',
  backToSignIn: 'Back to sign in',
  backHome: 'Back to the app',
  signOut: 'Sign out',
  submit: 'Submit',
  required: 'required',
  errorStatus: 'Error',
  groupPassword: 'Password',
  groupOidc: 'Social sign in',
  groupProfile: 'Profile',
  groupLink: 'Email link',
  groupCode: 'One-time code',
  groupTotp: 'Authenticator app',
  groupLookupSecret: 'Backup codes',
  groupWebauthn: 'Security key',
  groupPasskey: 'Passkey',
  groupIdentifierFirst: 'Sign in',
  groupCaptcha: 'Verification',
  groupSaml: 'Single sign-on',
  groupDefault: 'Account',
});

export const labelKeys = Object.keys(defaultLabels) as (keyof RenderLabels)[];

const GROUP_LABEL: Record<string, keyof RenderLabels> = {
  default: 'groupDefault',
  password: 'groupPassword',
  oidc: 'groupOidc',
  profile: 'groupProfile',
  link: 'groupLink',
  code: 'groupCode',
  totp: 'groupTotp',
  lookup_secret: 'groupLookupSecret',
  webauthn: 'groupWebauthn',
  passkey: 'groupPasskey',
  identifier_first: 'groupIdentifierFirst',
  captcha: 'groupCaptcha',
  saml: 'groupSaml',
};

/** Turns a machine name (`traits.name.first`, `lookup_secret`) into words (`Name first`, `Lookup secret`). */
export function humanize(name: string): string {
  const words = name
    .replace(/^traits\./, '')
    .split(/[._\-\s]+/)
    .filter(Boolean)
    .join(' ');
  return words === '' ? '' : words[0].toUpperCase() + words.slice(1);
}

/**
 * Heading of the form of one method group.
 *
 * @example
 * groupTitle('totp') // 'Authenticator app'
 */
export function groupTitle(group: string, labels: Readonly<RenderLabels> = defaultLabels): string {
  const key = Object.prototype.hasOwnProperty.call(GROUP_LABEL, group) ? GROUP_LABEL[group] : undefined;
  return key ? labels[key] : humanize(String(group));
}
