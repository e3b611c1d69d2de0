// Request/response messages between the benchmark's processes (node IPC channel).
import { fork } from 'node:child_process';

/** Child side: sends a message to the parent. */
export const send = (msg) => process.send?.(msg);

/** Child side: answers the parent's requests; `handler` may return a promise. Exits when the parent goes. */
export function onRequest(handler) {
  process.on('message', async (msg) => {
    if (!msg || typeof msg.id !== 'number') return;
    try {
      const result = await handler(msg);
      if (result !== undefined) reply(msg, result);
    } catch (err) {
      process.send?.({ replyTo: msg.id, error: String(err?.stack ?? err) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

/** Child side: answers one request. */
export const reply = (msg, data) => process.send?.({ replyTo: msg.id, data });

/**
 * Parent side: forks a child, resolves once it sent `{ type: 'ready' }`. `call(type, payload)` sends a
 * request and resolves with the child's answer; `stop()` ends the child (by its own pid).
 */
export function startChild(file, { env = {}, execPath = process.execPath, execArgv = [], args = [], readyTimeoutMs = 120_000 } = {}) {
  const child = fork(file, args, { env: { ...process.env, ...env }, execPath, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map();
  let nextId = 1;
  let exited = false;
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start within ${readyTimeoutMs} ms`)), readyTimeoutMs);
    child.on('message', (msg) => {
      if (msg?.type === 'ready') {
        clearTimeout(timer);
        resolve(msg);
      } else if (msg && typeof msg.replyTo === 'number') {
        const p = pending.get(msg.replyTo);
        pending.delete(msg.replyTo);
        if (msg.error) p?.reject(new Error(`${file}: ${msg.error}`));
        else p?.resolve(msg.data);
      }
    });
    child.on('exit', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      const err = new Error(`${file} exited (code ${code}, signal ${signal})`);
      reject(err);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    });
  });
  return {
    child,
    ready,
    call(type, payload = {}) {
      if (exited) return Promise.reject(new Error(`${file} is not running`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ ...payload, type, id });
      });
    },
    stop() {
      if (exited) return Promise.resolve();
      return new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}
