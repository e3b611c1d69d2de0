/** Default path of the client script, relative to the mount path of the flow routes. */
export const clientScriptPath = 'kratos-express.js';

/** Names Kratos uses for its WebAuthn/passkey functions (`oryWebAuthnLogin`, `oryPasskeyLogin`, ...). */
export const triggerPattern = /^ory[A-Za-z]+$/;

/**
 * Body of the external script that replaces Kratos' inline `onclick`/`onload` handlers: a click on an
 * element with `data-kratos-onclick-trigger="oryX"` calls `window.oryX()`, and after the page (and Kratos'
 * own scripts) loaded every `data-kratos-onload-trigger` is called. Serve it as `text/javascript`.
 */
export const clientScript = `(function () {
  'use strict';
  var pattern = ${triggerPattern.toString()};
  function call(name) {
    if (typeof name !== 'string' || !pattern.test(name)) return false;
    var fn = window[name];
    if (typeof fn !== 'function') return false;
    fn();
    return true;
  }
  document.addEventListener('click', function (event) {
    var target = event.target;
    var element = target && target.closest ? target.closest('[data-kratos-onclick-trigger]') : null;
    if (element && call(element.getAttribute('data-kratos-onclick-trigger'))) event.preventDefault();
  });
  function runOnloadTriggers() {
    var elements = document.querySelectorAll('[data-kratos-onload-trigger]');
    for (var i = 0; i < elements.length; i++) call(elements[i].getAttribute('data-kratos-onload-trigger'));
  }
  if (document.readyState === 'complete') runOnloadTriggers();
  else window.addEventListener('load', runOnloadTriggers);
})();
`;
