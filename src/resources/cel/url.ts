/**
 * URLs for CEL's `url` library (`url(s).getHost()`), parsed as Go's `net/url` does for
 * `url.ParseRequestURI` followed by `url.Parse` (what the Kubernetes library calls).
 */
import { goQuote } from '../go-format.js';

/** A parsed URL with Go's accessors. */
export class GoUrl {
  constructor(
    readonly scheme: string,
    readonly host: string,
    readonly path: string,
    readonly rawQuery: string,
  ) {}

  /** `url(string)`: throws `parse "x": <reason>` as Go's errors read. */
  static parse(text: string): GoUrl {
    const fail = (reason: string): never => {
      throw new Error(`parse ${goQuote(text)}: ${reason}`);
    };
    if (/[\x00-\x1f\x7f]/.test(text)) fail('net/url: invalid control character in URL');
    if (text === '') fail('empty url');
    let rest = text;
    let scheme = '';
    const sm = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(rest);
    if (sm) {
      scheme = sm[1].toLowerCase();
      rest = rest.slice(sm[0].length);
    } else if (/^[^/?#]*:/.test(rest) && rest[0] === ':') {
      fail('missing protocol scheme');
    }
    let rawQuery = '';
    const q = rest.indexOf('?');
    if (q >= 0) {
      rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
    if (!rest.startsWith('/')) {
      if (scheme !== '') return new GoUrl(scheme, '', '', rawQuery);
      fail('invalid URI for request');
    }
    let host = '';
    if (scheme !== '' && rest.startsWith('//')) {
      const end = rest.indexOf('/', 2);
      const authority = end < 0 ? rest.slice(2) : rest.slice(2, end);
      rest = end < 0 ? '' : rest.slice(end);
      host = authority.slice(authority.lastIndexOf('@') + 1);
      if (host.startsWith('[')) {
        const close = host.indexOf(']');
        if (close < 0) fail("missing ']' in host");
        const port = host.slice(close + 1);
        if (port !== '' && !/^:\d*$/.test(port)) fail(`invalid port ${goQuote(port)} after host`);
      } else {
        const colon = host.lastIndexOf(':');
        if (colon >= 0 && !/^\d*$/.test(host.slice(colon + 1)))
          fail(`invalid port ${goQuote(host.slice(colon))} after host`);
      }
    }
    if (/%(?![0-9a-fA-F]{2})/.test(rest)) {
      const bad = /%.{0,2}/.exec(rest.slice(rest.search(/%(?![0-9a-fA-F]{2})/)))![0];
      fail(`invalid URL escape ${goQuote(bad)}`);
    }
    return new GoUrl(scheme, host, rest, rawQuery);
  }

  hostname(): string {
    if (this.host.startsWith('[')) return this.host.slice(1, this.host.indexOf(']'));
    const colon = this.host.lastIndexOf(':');
    return colon < 0 ? this.host : this.host.slice(0, colon);
  }

  port(): string {
    const close = this.host.lastIndexOf(']');
    const colon = this.host.lastIndexOf(':');
    if (colon < 0 || colon < close) return '';
    const port = this.host.slice(colon + 1);
    return /^\d*$/.test(port) ? port : '';
  }

  /** Query parameters as Go's `url.Values`, keys mapped to all their values. */
  query(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    if (this.rawQuery === '') return out;
    for (const part of this.rawQuery.split('&')) {
      if (part === '' || part.includes(';')) continue;
      const eq = part.indexOf('=');
      const decode = (s: string): string | undefined => {
        try {
          return decodeURIComponent(s.replaceAll('+', ' '));
        } catch {
          return undefined;
        }
      };
      const key = decode(eq < 0 ? part : part.slice(0, eq));
      const value = decode(eq < 0 ? '' : part.slice(eq + 1));
      if (key === undefined || value === undefined) continue;
      out.set(key, [...(out.get(key) ?? []), value]);
    }
    return out;
  }
}
