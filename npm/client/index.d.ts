// casplus/client: a CAS client (CAS Protocol 3.0) on the fetch Request/Response API.

/** Attributes released by the CAS server: every value of each, as strings (§2.5.7). */
export type Attributes = Record<string, string[]>;

/** Who the request is authenticated as. */
export interface Principal {
  user: string;
  attributes: Attributes;
  /** Proxies the ticket went through, most recent first (§2.6.2); empty for a service ticket. */
  proxies: string[];
}

/** Where sessions, service-ticket → session indexes and PGTIOU → PGT pairs live. */
export interface SessionStore {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
}

/** A key-value store shaped like Workers KV. */
export interface KvLike {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options: { expirationTtl: number }): Promise<unknown>;
  delete(key: string): Promise<unknown>;
}

export interface CookieOptions {
  /**
   * At least 32 characters. The cookie carries the session id encrypted and authenticated
   * with AES-256-GCM under a key derived from this secret with HKDF-SHA-256.
   */
  secret: string;
  /** Default `casplus_session`. */
  name?: string;
  /** Default: Secure, except on loopback http. */
  secure?: boolean;
  /** Default `Lax`. */
  sameSite?: 'Strict' | 'Lax' | 'None';
  /** Session lifetime in seconds (default 8 h). */
  maxAge?: number;
  /** Default `/`. */
  path?: string;
}

export interface CasClientOptions {
  /** The CAS server's base URL, e.g. `https://cas.example/cas`. */
  casUrl: string;
  /** The application's fixed base URL (origin, optionally with a path prefix). */
  serviceUrl?: string;
  /** Without `serviceUrl`: build the service URL from the request's own host. */
  trustHost?: boolean;
  /** Without `serviceUrl`: build it from X-Forwarded-Proto/-Host (behind a proxy that sets them). */
  trustForwardedHeaders?: boolean;
  /** Protocol version (default 3). */
  protocol?: 1 | 2 | 3 | '1' | '2' | '3';
  /** Response format (CAS 3.0; default XML). */
  format?: 'XML' | 'JSON';
  /** Force a fresh primary login (§2.1.1). */
  renew?: boolean;
  /** Never ask for credentials: continue unauthenticated without an SSO session (§2.1.1). */
  gateway?: boolean;
  /** The https URL the CAS server delivers PGTs to (§2.5.4). */
  proxyCallbackUrl?: string;
  /** The path of that URL this handler answers. */
  proxyReceptorPath?: string;
  /** How long a delivered PGT waits for its validation, in seconds (default 300). */
  pgtTtl?: number;
  /** Accept proxy tickets (validate at /proxyValidate) from `allowedProxyChains`. */
  acceptProxyTickets?: boolean;
  /** Allowed chains, most recent proxy first; a RegExp (or a string starting with `^`) matches a whole URL. */
  allowedProxyChains?: (string | RegExp)[][];
  /**
   * Back-channel logoutRequest POSTs (§2.3.3): `true` (default), `false`, or restrictions
   * (docs/cas-client.md "Single logout").
   */
  singleLogout?: boolean | SingleLogoutOptions;
  /** Default: a MemoryStore (one process only). */
  sessionStore?: SessionStore;
  cookie: CookieOptions;
  /** Where `logout` may send the user back to (exact URLs, or prefixes ending in `/`). */
  returnTo?: string[];
  /** The wasm module (Workers: `import wasm from 'casplus/client/core/client_bg.wasm'`). */
  wasm?: WebAssembly.Module;
  /** Custom fetch for the requests to the CAS server. */
  fetch?: typeof fetch;
  /** Clock (milliseconds), default Date.now. */
  now?: () => number;
  /** Called with each validation failure (never with the ticket). */
  onError?: (error: CasClientError) => void;
}

/** Restrictions on where logoutRequest POSTs are accepted from. */
export interface SingleLogoutOptions {
  /** Accept them only at this path (like the Java client's `logoutCallbackPath`). */
  path?: string;
  /** Accept them only from these IP addresses (the CAS server's; exact, v4 or v6). */
  allowedAddresses?: string[];
  /**
   * The address a request came from. Default: `info.remoteAddress`, else CF-Connecting-IP
   * on Cloudflare Workers, else unknown (refused when `allowedAddresses` is set).
   */
  clientAddress?: (request: Request, info?: RequestInfo) => string | null | undefined;
}

/** What the host knows about a request beyond the Request itself. */
export interface RequestInfo {
  /** The peer's IP address (Node: `req.socket.remoteAddress`; Deno: `info.remoteAddr.hostname`; Bun: `server.requestIP(req).address`). */
  remoteAddress?: string;
}

/** The handler: a Response to send, or null to continue to the application. */
export interface CasClient {
  (request: Request, info?: RequestInfo): Promise<Response | null>;
  handle(request: Request, info?: RequestInfo): Promise<Response | null>;
  /** The principal of a request the handler let through (null when unauthenticated). */
  principal(request: Request): Principal | null;
  /** A proxy ticket for `targetService` (§2.7), using the session's PGT. */
  getProxyTicket(request: Request, targetService: string): Promise<string>;
  /** Ends the local session and redirects to CAS /logout (back to `returnTo` if allowed). */
  logout(request: Request, returnTo?: string): Promise<Response>;
}

export declare function createCasClient(options: CasClientOptions): CasClient;

export declare class CasClientError extends Error {
  /** `INVALID_TICKET`, `INVALID_SERVICE`, `PROXY_CHAIN_NOT_ALLOWED`, `NO_PROXY_GRANTING_TICKET`, … */
  readonly code: string;
}

export declare class MemoryStore implements SessionStore {
  constructor(options?: { now?: () => number });
  get(key: string): Promise<string | null>;
  put(key: string, value: string, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
}

export declare class KvStore implements SessionStore {
  constructor(kv: KvLike, options?: { prefix?: string; minTtl?: number });
  get(key: string): Promise<string | null>;
  put(key: string, value: string, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
}

/** The Durable Object namespace binding DurableObjectStore needs (Workers). */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: any): { fetch(input: string, init?: RequestInit): Promise<Response> };
}

/**
 * A SessionStore in Durable Objects (Workers): one object per key, strongly consistent.
 * The binding's class must be CasSessionObject, exported from the Worker.
 */
export declare class DurableObjectStore implements SessionStore {
  constructor(namespace: DurableObjectNamespaceLike, options?: { prefix?: string });
  get(key: string): Promise<string | null>;
  put(key: string, value: string, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
}

/** `new DurableObjectStore(namespace, options)`. */
export declare function durableObjectStore(namespace: DurableObjectNamespaceLike, options?: { prefix?: string }): DurableObjectStore;

/** The Durable Object class behind DurableObjectStore (`export { CasSessionObject } from 'casplus/client'`). */
export declare class CasSessionObject {
  constructor(state: { storage: any }, env?: unknown);
  fetch(request: Request): Promise<Response>;
  alarm(): Promise<void>;
}

/** What `connectCas` leaves on a request it lets through (Node only). */
export interface ConnectCas {
  principal: Principal | null;
  getProxyTicket(targetService: string): Promise<string>;
  logout(returnTo?: string): Promise<void>;
}

/**
 * A Connect/Express middleware around a CasClient (Node only: `casplus/client` under the
 * `node` condition). Continues with `req.cas`; a form POST's body is kept as `req.rawBody`.
 */
export declare function connectCas(
  client: CasClient,
): (req: any, res: any, next: (err?: unknown) => void) => Promise<void>;
