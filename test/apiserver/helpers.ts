/**
 * Test helpers for the emulator: a started server per test file, JSON requests with `fetch`,
 * and a watch reader that yields events with a deadline (never a fixed sleep).
 */

import type { ApiServerOptions } from '../../src/apiserver/index.js';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import type { KubeObject } from '../../src/core/index.js';

export interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A small JSON client bound to a server. */
export class Api {
  constructor(readonly server: ApiServer) {}

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> {
    const init: RequestInit = { method, headers: { 'content-type': contentType, ...headers } };
    if (body !== undefined)
      init.body = typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body);
    const res = await fetch(this.server.url + path, init);
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  get<T = Record<string, unknown>>(path: string): Promise<Reply<T>> {
    return this.request<T>('GET', path);
  }

  post<T = KubeObject>(path: string, body: unknown): Promise<Reply<T>> {
    return this.request<T>('POST', path, body);
  }

  put<T = KubeObject>(path: string, body: unknown): Promise<Reply<T>> {
    return this.request<T>('PUT', path, body);
  }

  patch<T = KubeObject>(path: string, body: unknown, type = 'application/merge-patch+json'): Promise<Reply<T>> {
    return this.request<T>('PATCH', path, body, type);
  }

  delete<T = Record<string, unknown>>(path: string, body?: unknown): Promise<Reply<T>> {
    return this.request<T>('DELETE', path, body);
  }
}

/** Starts a server and its client. */
export async function startTestServer(options: ApiServerOptions = {}): Promise<{ server: ApiServer; api: Api }> {
  const server = await startApiServer({ port: 0, ...options });
  return { server, api: new Api(server) };
}

/** A ConfigMap body. */
export function configMap(
  name: string,
  data: Record<string, string> = {},
  labels?: Record<string, string>,
): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(labels ? { labels } : {}) }, data };
}

export interface WatchEventJson {
  type: string;
  object: KubeObject & { code?: number; reason?: string; message?: string };
}

/** An open watch stream read line by line. */
export class WatchStream {
  private buffer = '';
  private readonly events: WatchEventJson[] = [];
  private waiters: (() => void)[] = [];
  ended = false;
  status = 0;
  private readonly controller = new AbortController();

  static async open(server: ApiServer, path: string): Promise<WatchStream> {
    const w = new WatchStream();
    const res = await fetch(server.url + path, { signal: w.controller.signal });
    w.status = res.status;
    w.pump(res).catch(() => {
      w.finish();
    });
    return w;
  }

  private async pump(res: Response): Promise<void> {
    if (!res.body) return this.finish();
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      this.buffer += decoder.decode(chunk, { stream: true });
      let nl = this.buffer.indexOf('\n');
      while (nl >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        if (line.trim() !== '') this.events.push(JSON.parse(line) as WatchEventJson);
        nl = this.buffer.indexOf('\n');
      }
      this.wake();
    }
    this.finish();
  }

  private finish(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Waits until `n` events arrived (or the stream ended, or the deadline passed) and returns them all. */
  async take(n: number, timeoutMs = 5000): Promise<WatchEventJson[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < n && !this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.events.splice(0, this.events.length);
  }

  /** Waits for the stream to end (deadline bounded); returns whether it did. */
  async waitEnd(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.ended;
  }

  close(): void {
    this.controller.abort();
  }
}
