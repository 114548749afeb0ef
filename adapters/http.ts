/**
 * The HTTP layer shared by every peer adapter: per-attempt timeouts, retries
 * with exponential backoff and full jitter (transport errors and 5xx only,
 * never 4xx), TLS with a CA file or an explicit insecure switch, basic auth,
 * redaction of credentials everywhere, and optional recording of exchanges to
 * fixture files.
 *
 * Permissions: `--allow-net` for the peer; `--allow-read` for `caFile`;
 * `--allow-write` for `recordDir`.
 *
 * TLS: without options, Deno's fetch and the system's trust store. With
 * `caFile`, HTTPS goes through `node:https` with `ca`: Deno's fetch
 * (`Deno.createHttpClient({caCerts})`, rustls/webpki) refuses the common
 * `openssl req -x509` self-signed certificate, because OpenSSL marks it
 * `CA:TRUE` and webpki will not accept a CA certificate as the server's own
 * ("invalid peer certificate: CaUsedAsEndEntity"); `node:https` verifies the
 * chain and the host name and accepts it (#17). Deno 2.9's fetch has no
 * per-client way to skip verification either (only the process-wide
 * `--unsafely-ignore-certificate-errors` flag), so `insecure: true` also uses
 * `node:https`, with `rejectUnauthorized: false`. Both are checked against a
 * `Deno.serve` TLS listener in tests/faults/tls_test.ts.
 *
 * Recording (`recordDir`): one JSON file per exchange, named
 * `<time>-<seq>-<method>-<path>.json`, holding `{peer, request: {method, url,
 * headers, body?}, response: {status, headers, body}}` with the bodies as the
 * exact text received. Credentials are replaced by `REDACTED` (headers,
 * URL, the password wherever it appears) and so are JSON values under keys
 * like `password`, `token` or `kubeconfig`. This is the format of
 * `fixtures/peers/<peer>/<case>.json`, so recordings from a real ONAP can be
 * contributed as fixtures.
 *
 * @module
 */
import https from "node:https";
import type { IncomingMessage } from "node:http";
import { retry } from "./retry.ts";

/** Options of an {@linkcode HttpClient}. */
export interface HttpClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:9015` (a trailing slash is ignored). */
  baseUrl: string;
  /** The peer's name in messages: `"k8splugin"`, `"A&AI"`, … */
  peer: string;
  /** Timeout of each attempt in ms (default 30 000). */
  timeoutMs?: number;
  /** Extra attempts for transport errors and 5xx (default 3); 4xx is never retried. */
  retries?: number;
  /** First backoff in ms (default 200): exponential with full jitter. */
  minBackoffMs?: number;
  /** Cap of a backoff in ms (default 5 000). */
  maxBackoffMs?: number;
  /** PEM file of the CA that signed the peer's certificate. */
  caFile?: string;
  /** Skip TLS verification (only when exactly `true`). */
  insecure?: boolean;
  /** Basic auth user; never logged. */
  username?: string;
  /** Basic auth password; never logged, redacted in errors and recordings. */
  password?: string;
  /** Headers computed per request (A&AI: a fresh X-TransactionId each call). */
  headers?: () => Record<string, string>;
  /** When set, each exchange is written to a JSON fixture file there (secrets redacted). */
  recordDir?: string;
  /** Called after each attempt, for logging and metrics (everything redacted). */
  onExchange?: (exchange: Exchange) => void;
  /**
   * Aborts every request of this client, its retries and backoff included
   * (a pass deadline); a request started after it fired fails at once.
   */
  signal?: AbortSignal | undefined;
}

/** One attempt of a request, as reported to `onExchange` (secrets redacted). */
export interface Exchange {
  peer: string;
  method: string;
  /** The URL without credentials. */
  url: string;
  /** HTTP status, absent when the attempt failed without a response. */
  status?: number;
  durationMs: number;
  /** 1 for the first attempt. */
  attempt: number;
  requestHeaders: Record<string, string>;
  /** Why the attempt failed without a response (redacted). */
  error?: string;
}

/** Per-request options of {@linkcode HttpClient.request}. */
export interface HttpRequestInit {
  /** Query parameters; `undefined` values are left out. */
  query?: Record<string, string | undefined>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  /** Default `application/json` when there is a body. */
  contentType?: string;
  headers?: Record<string, string>;
  /** Cancels the request and its retries. */
  signal?: AbortSignal;
  /**
   * Decides whether a 5xx is worth another attempt (default: always). Return
   * false for answers that will not change, e.g. k8splugin's 500 for an
   * unknown instance; such a response is returned at once.
   */
  retryStatus?: (response: { status: number; text: string }) => boolean;
}

/** A complete HTTP response (body already read). */
export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parses `text` as JSON; throws {@linkcode HttpBodyError} when it is not. */
  json(): unknown;
}

/** How a request failed without an HTTP response. */
export type HttpTransportErrorKind =
  | "Timeout"
  | "Reset"
  | "Refused"
  | "Tls"
  | "Other";

/** A request failed without an HTTP response (after all retries). */
export class HttpTransportError extends Error {
  /** The peer's name. */
  readonly peer: string;
  readonly method: string;
  /** The URL without credentials. */
  readonly url: string;
  readonly kind: HttpTransportErrorKind;
  /** Transport errors are always worth another try later. */
  readonly retryable = true;
  /** The peer did not answer at all: "try later" (exit 75), see {@linkcode isPeerUnavailable}. */
  readonly unavailable = true;
  /** How many attempts were made. */
  readonly attempts: number;
  /** What went wrong, without the peer, URL or attempts (already redacted). */
  readonly detail: string;

  /** Builds the error; `detail` must already be redacted. */
  constructor(
    init: {
      peer: string;
      method: string;
      url: string;
      kind: HttpTransportErrorKind;
      detail: string;
      attempts?: number;
    },
    options?: ErrorOptions,
  ) {
    const attempts = init.attempts ?? 1;
    super(
      `Cannot reach ${init.peer} for ${init.method} ${init.url}: ${init.detail}${
        attempts > 1 ? ` (after ${attempts} attempts)` : ""
      }`,
      options,
    );
    this.name = "HttpTransportError";
    this.peer = init.peer;
    this.method = init.method;
    this.url = init.url;
    this.kind = init.kind;
    this.attempts = attempts;
    this.detail = init.detail;
  }

  /** `GET <url>: <detail> (after N attempts)`: for callers that name the peer themselves. */
  get where(): string {
    return `${this.method} ${this.url}: ${this.detail}${
      this.attempts > 1 ? ` (after ${this.attempts} attempts)` : ""
    }`;
  }
}

/**
 * Whether an error means the peer is unavailable rather than wrong: no answer
 * after the retries (refused, timed out, reset: {@linkcode HttpTransportError}
 * or an adapter error wrapping one), or a 5xx that persisted through the
 * retries on an error marked `retryable`. Such a pass exits 75 (EX_TEMPFAIL).
 */
export function isPeerUnavailable(error: unknown): boolean {
  const e = error as
    | {
      unavailable?: unknown;
      retryable?: unknown;
      status?: unknown;
      cause?: unknown;
    }
    | null
    | undefined;
  if (!e || typeof e !== "object") return false;
  if (e.unavailable === true) return true;
  if (e.retryable !== true) return false;
  if (typeof e.status === "number") return e.status >= 500;
  return e.cause instanceof HttpTransportError || e.cause === undefined;
}

/** A response body that is not the JSON it should be. */
export class HttpBodyError extends SyntaxError {
  readonly peer: string;
  readonly method: string;
  readonly url: string;
  readonly status: number;

  /** Builds the error from the response and the parser's complaint. */
  constructor(
    init: {
      peer: string;
      method: string;
      url: string;
      status: number;
      detail: string;
    },
    options?: ErrorOptions,
  ) {
    super(
      `Cannot parse the response of ${init.peer} to ${init.method} ${init.url} (HTTP ${init.status}) as JSON: ${init.detail}`,
      options,
    );
    this.name = "HttpBodyError";
    this.peer = init.peer;
    this.method = init.method;
    this.url = init.url;
    this.status = init.status;
  }
}

/** The text that replaces every secret. */
export const REDACTED = "REDACTED";

/** Header names whose values are secrets. */
const SECRET_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-auth-token",
]);

/** JSON keys whose values are secrets in recorded bodies. */
const SECRET_KEYS =
  /^(password|passwd|token|secret|kubeconfig|client-key-data|client-certificate-data|authorization)$/i;

/**
 * A credential in free text: `Basic <base64>`, `Bearer <token>`, whatever the
 * header name around it (A&AI error pages echo request headers).
 */
const CREDENTIAL =
  /\b(Basic|Bearer|Negotiate|Digest)\s+(?!REDACTED)[A-Za-z0-9._~+/=-]{4,}/gi;

/** What one attempt yields before retries are decided. */
export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** Thrown inside the retry loop for a 5xx so p-retry tries again. */
class RetryableStatus extends Error {
  constructor(readonly response: RawResponse) {
    super(`HTTP ${response.status}`);
  }
}

/** The full chain of messages of an error and its causes. */
function errorChain(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(`${current.name}: ${current.message}`);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(" <- ");
}

/** Sorts a transport failure into a kind, from the error chain's text. */
function classify(error: unknown): HttpTransportErrorKind {
  const text = errorChain(error);
  if (
    error instanceof DOMException && error.name === "TimeoutError" ||
    /TimeoutError|timed out/i.test(text)
  ) return "Timeout";
  if (/refused/i.test(text)) return "Refused";
  if (/certificate|tls|ssl|handshake/i.test(text)) return "Tls";
  if (
    /reset|closed|broken pipe|EOF|error reading a body|socket hang up|connection error|incomplete/i
      .test(text)
  ) return "Reset";
  return "Other";
}

/** Short human detail for a transport error kind. */
function describe(kind: HttpTransportErrorKind, error: unknown): string {
  switch (kind) {
    case "Timeout":
      return "timed out";
    case "Refused":
      return "connection refused";
    case "Reset":
      return "connection dropped without a complete response";
    case "Tls":
      return `TLS failed: ${errorChain(error)}`;
    default:
      return errorChain(error);
  }
}

/**
 * Talks HTTP to one peer. Construct once per peer and `close()` at the end
 * (it may hold a TLS client).
 */
export class HttpClient {
  readonly #options: HttpClientOptions;
  readonly #base: URL;
  readonly #secrets: string[];
  #ca: string | undefined;
  #sequence = 0;

  /** Stores the options; nothing is read or opened until the first request. */
  constructor(options: HttpClientOptions) {
    const base = new URL(options.baseUrl);
    let username = options.username;
    let password = options.password;
    // Credentials written into the URL become basic auth, never part of a logged URL.
    if (base.username || base.password) {
      username ??= decodeURIComponent(base.username);
      password ??= decodeURIComponent(base.password);
      base.username = "";
      base.password = "";
    }
    this.#options = {
      ...options,
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
    };
    this.#base = base;
    this.#secrets = [];
    if (password) {
      const basic = btoa(`${username ?? ""}:${password}`);
      // Longest first, so a longer form is never cut by a shorter one.
      this.#secrets.push(
        ...new Set([
          basic,
          basic.replace(/=+$/, ""),
          encodeURIComponent(password),
          password,
        ]),
      );
      this.#secrets.sort((a, b) => b.length - a.length);
    }
  }

  /** The peer's name, as given. */
  get peer(): string {
    return this.#options.peer;
  }

  /** The base URL without credentials and trailing slash. */
  get baseUrl(): string {
    return this.#base.href.replace(/\/+$/, "");
  }

  /**
   * Replaces every known secret in `text` by `REDACTED`: the password (plain,
   * percent-encoded, base64 of `user:password` with and without padding) and
   * any `Basic …`/`Bearer …` credential, e.g. in an error page that echoes
   * the request's headers (#7).
   */
  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) {
      if (secret) out = out.split(secret).join(REDACTED);
    }
    return out.replace(CREDENTIAL, `$1 ${REDACTED}`);
  }

  /**
   * Sends a request; retries transport errors and 5xx with backoff. A 5xx
   * that persists is returned (callers map it to their own retryable error);
   * a transport error that persists throws {@linkcode HttpTransportError}.
   */
  async request(
    method: string,
    path: string,
    init: HttpRequestInit = {},
  ): Promise<HttpResponse> {
    const url = this.#url(path, init.query);
    const shownUrl = this.redact(url);
    const headers = this.#headers(init);
    const body = init.body === undefined
      ? undefined
      : typeof init.body === "string"
      ? init.body
      : JSON.stringify(init.body);
    const signal = this.#options.signal && init.signal
      ? AbortSignal.any([this.#options.signal, init.signal])
      : init.signal ?? this.#options.signal;
    signal?.throwIfAborted();
    const retries = this.#options.retries ?? 3;
    const minBackoff = this.#options.minBackoffMs ?? 200;
    const maxBackoff = this.#options.maxBackoffMs ?? 5_000;
    let attempts = 0;
    try {
      const raw = await retry(
        async (attempt) => {
          attempts = attempt + 1;
          const response = await this.#attempt(
            method,
            url,
            headers,
            body,
            attempts,
            signal,
          );
          if (
            response.status >= 500 && attempt < retries &&
            (init.retryStatus?.(response) ?? true)
          ) {
            throw new RetryableStatus(response);
          }
          return response;
        },
        {
          retries,
          minBackoffMs: minBackoff,
          maxBackoffMs: maxBackoff,
          ...(signal ? { signal } : {}),
          shouldRetry: (error) =>
            error instanceof RetryableStatus ||
            error instanceof HttpTransportError,
        },
      );
      return this.#response(method, shownUrl, raw);
    } catch (error) {
      if (error instanceof RetryableStatus) {
        return this.#response(method, shownUrl, error.response);
      }
      if (error instanceof HttpTransportError) {
        throw new HttpTransportError({
          peer: error.peer,
          method: error.method,
          url: error.url,
          kind: error.kind,
          detail: error.detail,
          attempts,
        }, { cause: error.cause });
      }
      throw error;
    }
  }

  /** Releases the TLS client, if any. */
  close(): void {
    // Nothing is held between requests (node:https requests use no agent).
  }

  /** Releases the TLS client, if any (`using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  #url(path: string, query: HttpRequestInit["query"]): string {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.append(key, value);
    }
    return url.href;
  }

  #headers(init: HttpRequestInit): Record<string, string> {
    const headers: Record<string, string> = {
      ...this.#options.headers?.(),
      ...init.headers,
    };
    if (init.body !== undefined && !hasHeader(headers, "content-type")) {
      headers["Content-Type"] = init.contentType ?? "application/json";
    }
    if (this.#options.username !== undefined) {
      headers["Authorization"] = `Basic ${
        btoa(`${this.#options.username}:${this.#options.password ?? ""}`)
      }`;
    }
    return headers;
  }

  #redactHeaders(headers: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(headers)) {
      out[key] = SECRET_HEADERS.has(key.toLowerCase())
        ? REDACTED
        : this.redact(value);
    }
    return out;
  }

  #response(method: string, url: string, raw: RawResponse): HttpResponse {
    const peer = this.#options.peer;
    // An error body ends up in messages and logs: redact it here, once, for
    // every adapter. Success bodies are data (and big): left as sent.
    const text = raw.status >= 200 && raw.status < 300
      ? raw.text
      : this.redact(raw.text);
    return {
      status: raw.status,
      headers: raw.headers,
      text,
      json(): unknown {
        try {
          return JSON.parse(text);
        } catch (error) {
          throw new HttpBodyError({
            peer,
            method,
            url,
            status: raw.status,
            detail: error instanceof Error ? error.message : String(error),
          }, { cause: error });
        }
      },
    };
  }

  async #attempt(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
    attempt: number,
    signal: AbortSignal | undefined,
  ): Promise<RawResponse> {
    const started = performance.now();
    const timeout = AbortSignal.timeout(this.#options.timeoutMs ?? 30_000);
    const attemptSignal = signal ? AbortSignal.any([timeout, signal]) : timeout;
    const shownUrl = this.redact(url);
    const exchange: Exchange = {
      peer: this.#options.peer,
      method,
      url: shownUrl,
      durationMs: 0,
      attempt,
      requestHeaders: this.#redactHeaders(headers),
    };
    try {
      const https = url.startsWith("https:");
      const response = https && this.#options.insecure === true
        ? await nodeFetch(method, url, headers, body, attemptSignal, {
          rejectUnauthorized: false,
        })
        : https && this.#options.caFile
        ? await nodeFetch(method, url, headers, body, attemptSignal, {
          ca: await this.#caPem(),
        })
        : await this.#fetch(method, url, headers, body, attemptSignal);
      exchange.status = response.status;
      exchange.durationMs = performance.now() - started;
      this.#options.onExchange?.(exchange);
      if (this.#options.recordDir) {
        await this.#record(exchange, body, response);
      }
      return response;
    } catch (error) {
      // The caller cancelled: not a transport failure, no retry.
      if (signal?.aborted) throw signal.reason;
      const reason = timeout.aborted ? timeout.reason : error;
      const kind = classify(reason);
      const detail = this.redact(describe(kind, reason));
      exchange.durationMs = performance.now() - started;
      exchange.error = detail;
      this.#options.onExchange?.(exchange);
      throw new HttpTransportError({
        peer: this.#options.peer,
        method,
        url: shownUrl,
        kind,
        detail,
      }, { cause: reason });
    }
  }

  /** The CA file's PEM, read once. */
  async #caPem(): Promise<string> {
    this.#ca ??= await Deno.readTextFile(this.#options.caFile as string);
    return this.#ca;
  }

  async #fetch(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal,
  ): Promise<RawResponse> {
    const response = await fetch(url, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      signal,
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text };
  }

  async #record(
    exchange: Exchange,
    requestBody: string | undefined,
    response: RawResponse,
  ): Promise<void> {
    const dir = this.#options.recordDir as string;
    const sequence = ++this.#sequence;
    const slug = new URL(exchange.url).pathname.replace(/[^A-Za-z0-9]+/g, "-")
      .replace(/^-|-$/g, "").slice(0, 80);
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const file = `${dir}/${stamp}-${
      String(sequence).padStart(4, "0")
    }-${exchange.method.toLowerCase()}-${slug || "root"}.json`;
    const responseHeaders: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      responseHeaders[key] = SECRET_HEADERS.has(key) ? REDACTED : value;
    });
    const record = {
      peer: exchange.peer,
      request: {
        method: exchange.method,
        url: exchange.url,
        headers: exchange.requestHeaders,
        ...(requestBody !== undefined
          ? { body: this.#redactBody(requestBody) }
          : {}),
      },
      response: {
        status: response.status,
        headers: responseHeaders,
        body: this.#redactBody(response.text),
      },
    };
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(file, JSON.stringify(record, null, 2) + "\n");
  }

  /** Redacts known secrets and secret-looking JSON keys in a body. */
  #redactBody(text: string): string {
    let redacted = this.redact(text);
    try {
      const parsed: unknown = JSON.parse(redacted);
      let changed = false;
      const walk = (value: unknown): unknown => {
        if (Array.isArray(value)) return value.map(walk);
        if (value && typeof value === "object") {
          const out: Record<string, unknown> = {};
          for (const [key, inner] of Object.entries(value)) {
            if (SECRET_KEYS.test(key) && typeof inner === "string") {
              out[key] = REDACTED;
              changed = true;
            } else out[key] = walk(inner);
          }
          return out;
        }
        return value;
      };
      const walked = walk(parsed);
      if (changed) redacted = JSON.stringify(walked);
    } catch {
      // Not JSON: only the literal secrets are replaced.
    }
    return redacted;
  }
}

/** Case-insensitive header lookup. */
function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

/**
 * HTTPS through `node:https`: with `ca` (the CA file: verified, and a
 * self-signed certificate accepted as its own CA), or without verification
 * (`rejectUnauthorized: false`, the insecure switch). See the module doc.
 * Shared with the kube adapter (a kubeconfig's `insecure-skip-tls-verify`).
 */
export function nodeFetch(
  method: string,
  url: string,
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal,
  tls: {
    ca?: string;
    cert?: string;
    key?: string;
    rejectUnauthorized?: boolean;
  },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const request = https.request(url, {
      method,
      headers,
      ...tls,
      // A fresh connection per request: the default agent would keep
      // sockets (and the test sanitizers would see them) after close().
      agent: false,
    }, (response: IncomingMessage) => {
      const chunks: Uint8Array[] = [];
      response.on("data", (chunk: Uint8Array) => chunks.push(chunk));
      response.on("error", fail);
      response.on("aborted", () => fail(new Error("connection reset")));
      response.on("end", () => {
        signal.removeEventListener("abort", onAbort);
        const out = new Headers();
        for (const [key, value] of Object.entries(response.headers)) {
          if (Array.isArray(value)) value.forEach((v) => out.append(key, v));
          else if (value !== undefined) out.set(key, String(value));
        }
        let size = 0;
        for (const chunk of chunks) size += chunk.length;
        const bytes = new Uint8Array(size);
        let offset = 0;
        for (const chunk of chunks) {
          bytes.set(chunk, offset);
          offset += chunk.length;
        }
        resolve({
          status: response.statusCode ?? 0,
          headers: out,
          text: new TextDecoder().decode(bytes),
        });
      });
    });
    function fail(error: unknown): void {
      signal.removeEventListener("abort", onAbort);
      reject(error);
    }
    function onAbort(): void {
      request.destroy();
      fail(signal.reason);
    }
    signal.addEventListener("abort", onAbort, { once: true });
    request.on("error", fail);
    if (body !== undefined) request.write(body);
    request.end();
  });
}
