'use strict';

// Small helpers the EJS templates use (exposed as app.locals). The kit's built-in renderer does all of
// this for you; the example renders Kratos' UI nodes itself to show how to use your own templates.

const GROUP_TITLES = {
  default: '',
  password: 'Password',
  profile: 'Profile',
  totp: 'Authenticator app',
  lookup_secret: 'Backup codes',
  code: 'Email code',
  oidc: 'Social sign in',
  webauthn: 'Security key',
  passkey: 'Passkey',
};

/** The text to show for a UI node: its label, else its name. */
function nodeLabel(node) {
  const attributes = node.attributes || {};
  return (node.meta && node.meta.label && node.meta.label.text) || (attributes.label && attributes.label.text) || attributes.name || '';
}

function groupTitle(group) {
  return GROUP_TITLES[group] ?? group;
}

/** A stable element id for a node of a form. */
function nodeId(group, node) {
  const name = String((node.attributes && (node.attributes.name || node.attributes.id)) || node.type);
  return `${group}-${name}`.replace(/[^A-Za-z0-9_-]/g, '-');
}

/** Only images Kratos sends as data URIs (the TOTP QR code) or over http(s) are shown. */
function safeImageSrc(src) {
  return typeof src === 'string' && /^(data:image\/(png|jpeg|gif|svg\+xml);base64,|https?:\/\/)/i.test(src) ? src : undefined;
}

function safeHref(href) {
  return typeof href === 'string' && /^(https?:\/\/|\/(?![/\\]))/i.test(href) ? href : undefined;
}

function formatDate(value) {
  if (!value) return '';
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

function identityName(identity) {
  const traits = (identity && identity.traits) || {};
  const name = traits.name && [traits.name.first, traits.name.last].filter(Boolean).join(' ');
  return name || traits.email || (identity && identity.id) || '';
}

module.exports = { formatDate, groupTitle, identityName, nodeId, nodeLabel, safeHref, safeImageSrc };
