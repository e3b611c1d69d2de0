import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { clientScript } from '../render/client-script';

const SCRIPT_ETAG = `"${createHash('sha256').update(clientScript).digest('base64url').slice(0, 27)}"`;
/** Version marker of the client script, appended to its URL so that it can be cached for a year. */
export const SCRIPT_VERSION = SCRIPT_ETAG.slice(1, 11);

/** `GET <mount>/kratos-express.js`: the client script of the built-in renderer, cacheable for a year. */
export function sendClientScript(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
  res.setHeader('ETag', SCRIPT_ETAG);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (req.headers['if-none-match'] === SCRIPT_ETAG) {
    res.statusCode = 304;
    return void res.end();
  }
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(clientScript));
  res.end(req.method === 'HEAD' ? undefined : clientScript);
}
