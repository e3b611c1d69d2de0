/** The built-in CSS of the pages: system fonts, readable widths, responsive, visible focus. */
export const defaultStylesheet = `
:root{color-scheme:light dark;--kx-fg:#1f2328;--kx-bg:#f6f7f9;--kx-card:#fff;--kx-border:#d0d7de;--kx-muted:#59636e;
--kx-accent:#0b57d0;--kx-accent-fg:#fff;--kx-error:#b3261e;--kx-error-bg:#fdecea;--kx-success:#146c2e;--kx-success-bg:#e6f4ea;
--kx-info:#0b57d0;--kx-info-bg:#e8f0fe;--kx-focus:#f59e0b}
@media (prefers-color-scheme:dark){:root{--kx-fg:#e6edf3;--kx-bg:#0d1117;--kx-card:#161b22;--kx-border:#30363d;--kx-muted:#9198a1;
--kx-accent:#4493f8;--kx-accent-fg:#0d1117;--kx-error:#ff7b72;--kx-error-bg:#3d1418;--kx-success:#56d364;--kx-success-bg:#12261e;
--kx-info:#79c0ff;--kx-info-bg:#0c2d6b}}
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;font-size:1rem;
line-height:1.5;color:var(--kx-fg);background:var(--kx-bg)}
.kratos-header{padding:1rem;text-align:center;font-weight:600}
.kratos-main{max-width:28rem;margin:0 auto 2rem;padding:1.5rem;background:var(--kx-card);border:1px solid var(--kx-border);border-radius:.5rem}
@media (max-width:30rem){.kratos-main{border-left:0;border-right:0;border-radius:0;padding:1rem}}
.kratos-title{margin:0 0 1rem;font-size:1.5rem;line-height:1.25}
.kratos-method{margin:1.25rem 0;padding-top:1rem;border-top:1px solid var(--kx-border)}
.kratos-method:first-of-type{border-top:0;padding-top:0}
.kratos-method-heading{margin:0 0 .75rem;font-size:1.125rem}
.kratos-text-heading{margin:.5rem 0;font-size:1rem}
.kratos-field{margin:0 0 1rem}
.kratos-label{display:block;margin-bottom:.25rem;font-weight:500}
.kratos-required{color:var(--kx-error);margin-left:.25rem}
.kratos-field--checkbox{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem}
.kratos-field--checkbox .kratos-label{display:inline;margin:0}
.kratos-field--checkbox .kratos-message{flex-basis:100%}
.kratos-input{display:block;width:100%;padding:.5rem .75rem;font:inherit;color:inherit;background:transparent;
border:1px solid var(--kx-border);border-radius:.375rem}
.kratos-field--invalid .kratos-input{border-color:var(--kx-error)}
.kratos-button{display:inline-block;width:100%;padding:.625rem 1rem;font:inherit;font-weight:600;color:var(--kx-accent-fg);
background:var(--kx-accent);border:1px solid var(--kx-accent);border-radius:.375rem;cursor:pointer}
.kratos-button:disabled{opacity:.6;cursor:not-allowed}
.kratos-button--oidc,.kratos-button--lookup_secret,.kratos-button--webauthn,.kratos-button--passkey{color:var(--kx-fg);background:transparent;border-color:var(--kx-border)}
a,button,input,select,textarea{outline-offset:2px}
:focus-visible{outline:3px solid var(--kx-focus)}
.kratos-message{margin:.25rem 0;font-size:.9375rem}
.kratos-messages{margin:0 0 1rem}
.kratos-messages .kratos-message{padding:.5rem .75rem;border-radius:.375rem;border-left:4px solid}
.kratos-message--error{color:var(--kx-error)}
.kratos-message--success{color:var(--kx-success)}
.kratos-message--info{color:var(--kx-info)}
.kratos-messages .kratos-message--error{background:var(--kx-error-bg)}
.kratos-messages .kratos-message--success{background:var(--kx-success-bg)}
.kratos-messages .kratos-message--info{background:var(--kx-info-bg)}
.kratos-field .kratos-message--info{color:var(--kx-muted)}
.kratos-secret{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
.kratos-secrets{display:grid;grid-template-columns:repeat(auto-fill,minmax(7rem,1fr));gap:.25rem;padding:0;list-style:none}
.kratos-secret--used{color:var(--kx-muted);text-decoration:line-through}
.kratos-image img{display:block;max-width:100%;height:auto;margin:0 auto 1rem;background:#fff}
.kratos-links{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;justify-content:center;margin-top:1.5rem;padding:0;list-style:none}
a{color:var(--kx-accent)}
.kratos-error-status{font-weight:600;margin:0 0 .5rem}
.kratos-error-reason{color:var(--kx-muted)}
`.trim();
