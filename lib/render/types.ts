import type {
  FlowError,
  LoginFlow,
  RecoveryFlow,
  RegistrationFlow,
  Session,
  SettingsFlow,
  UiNode,
  UiText,
  VerificationFlow,
} from '@ory/kratos-client-fetch';

export type FlowType = 'login' | 'registration' | 'settings' | 'recovery' | 'verification';
export type PageKind = FlowType | 'error';

export type AnyFlow = LoginFlow | RegistrationFlow | SettingsFlow | RecoveryFlow | VerificationFlow;

/** One HTML form: the nodes of one method group plus every `default` group node (csrf_token, identifier, traits). */
export interface FlowForm {
  /** The method group this form submits (`password`, `profile`, `totp`, `code`, `oidc`, ...), or `default`. */
  group: string;
  action: string;
  method: string;
  nodes: UiNode[];
}

/** Where the other pages of the kit live, already joined with the router's mount path. */
export interface FlowUrls {
  login?: string;
  registration?: string;
  settings?: string;
  recovery?: string;
  verification?: string;
  /** Kratos' logout URL for the current session (with its token), when there is a session. */
  logout?: string;
  /** Where "back to the app" goes (the flow's return_to, else the configured default). */
  home: string;
}

/** Everything a view receives: the built-in renderer and `res.render(view, data)` get the same object. */
export interface FlowViewData {
  kind: PageKind;
  /** Human title of the page, for example "Sign in" or "Create an account". */
  title: string;
  /** The Kratos flow as the official SDK types it (absent on the error page). */
  flow?: AnyFlow;
  /** The flow's nodes grouped by method, `default` included, in the order Kratos sent them. */
  nodesByGroup: Record<string, UiNode[]>;
  /** Ready-to-render forms: one per method group, each carrying the `default` nodes too. */
  forms: FlowForm[];
  /** Script nodes, rendered once per page, outside the forms. */
  scripts: UiNode[];
  /** Flow-level messages (`ui.messages`). */
  messages: UiText[];
  urls: FlowUrls;
  /** The current session when one is known (settings always; others when the app attached one). */
  session?: Session;
  /** On the error page: the Kratos error container. */
  error?: FlowError;
  /** HTTP status the page is sent with. */
  status: number;
  /** CSP nonce for `<script>` and `<style>` elements, when the app configured one. */
  nonce?: string;
}
