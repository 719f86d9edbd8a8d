import { isProblemResponse, type ProblemCode } from "./errors.js";
import type { components, paths } from "./schema.js";

/** The tokens of a logged-in session. */
export interface Tokens {
  /** The JWT sent as `Authorization: Bearer …`. */
  accessToken: string;
  /** The opaque token that renews it, good for one refresh. */
  refreshToken: string;
}

/**
 * Where a client keeps its tokens. Methods may return promises, so a store can sit on
 * async storage. `clear()` is called on logout and when the session cannot be renewed:
 * a store is also the place to notice that the user must log in again.
 */
export interface TokenStore {
  /** The current tokens, or undefined when logged out. */
  get(): Tokens | undefined | Promise<Tokens | undefined>;
  /** Replaces the tokens (after login or refresh). */
  set(tokens: Tokens): void | Promise<void>;
  /** Forgets the tokens. */
  clear(): void | Promise<void>;
}

/** A {@link TokenStore} in memory: the tokens last as long as the object. The default. */
export class MemoryTokenStore implements TokenStore {
  #tokens: Tokens | undefined;

  /** Starts with `tokens`, or logged out. */
  constructor(tokens?: Tokens) {
    this.#tokens = tokens;
  }

  get(): Tokens | undefined {
    return this.#tokens;
  }

  set(tokens: Tokens): void {
    this.#tokens = tokens;
  }

  clear(): void {
    this.#tokens = undefined;
  }
}

/** A fetch as openapi-fetch calls it. */
export type Fetch = (request: Request) => Promise<Response>;

/**
 * The outcome of one refresh, shared by every request that waited for it. On failure,
 * `response()` gives each of them its own copy of the refusal.
 */
export type Refreshed = { ok: true; accessToken: string } | { ok: false; response: () => Response };

/**
 * Sends `request`, a call answering a new token pair that replaces the stored one, and
 * stores the pair that `pairOf` picks out of a 2xx answer's body. It answers the response.
 */
export type Exchange = (request: Request, pairOf: (body: unknown) => TokenPair) => Promise<Response>;

type TokenPair = components["schemas"]["TokenPair"];

const REFRESH_PATH = "/api/v1/auth/refresh" satisfies keyof paths;

/**
 * Creates the token logic behind a client:
 * - `fetch` adds `Authorization: Bearer <access token>` when the store has tokens and the
 *   request sets no Authorization of its own. When the answer is 401 `UNAUTHENTICATED`
 *   and the store has tokens, it renews them once and sends the request again, once.
 *   Other 401s (`INVALID_CREDENTIALS` from login, `INVALID_REFRESH_TOKEN` from refresh)
 *   are answers, not expired tokens, and are returned as they are.
 * - `refresh` renews the tokens. Concurrent callers share one in-flight call, so a refresh
 *   token is never presented twice (the service ends the session on reuse).
 * - `exchange` sends a call that spends the refresh token and answers a new pair (the
 *   MFA verification, the TOTP confirmation) and stores that pair. It takes the
 *   refresh's place: it waits for a refresh under way, and a refresh asked for meanwhile
 *   waits for it, then uses the pair it stored. So the spent refresh token is never
 *   presented, which would end the session.
 *
 * Only a 401 `UNAUTHENTICATED` renews the tokens: a 403 (`FORBIDDEN`, or `MFA_REQUIRED`
 * for an `aal1` token before the second factor is verified) is an answer, returned as is.
 *
 * When the service refuses the refresh token (a 4xx), the store is cleared and the
 * request is answered with that refusal (401 `INVALID_REFRESH_TOKEN` or
 * `REFRESH_TOKEN_REUSED`). A 5xx or a network error leaves the tokens alone, since the
 * refresh token may still be good.
 */
export function createTokenFetch(
  baseUrl: string,
  store: TokenStore,
  send: Fetch,
): { fetch: Fetch; refresh: () => Promise<Refreshed>; exchange: Exchange } {
  const refreshUrl = baseUrl.replace(/\/+$/, "") + REFRESH_PATH;
  let inFlight: Promise<Refreshed> | undefined; // the refresh under way
  let exchanging: Promise<void> | undefined; // the last exchange asked for (never rejects)

  function refresh(): Promise<Refreshed> {
    inFlight ??= renew().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  /** A refresh, after the exchange under way if any: none is needed when it stored a pair. */
  async function renew(): Promise<Refreshed> {
    const pending = exchanging;
    if (pending) {
      const before = (await store.get())?.accessToken;
      await pending;
      const after = await store.get();
      if (after && after.accessToken !== before) return { ok: true, accessToken: after.accessToken };
    }
    return rotate();
  }

  function exchange(request: Request, pairOf: (body: unknown) => TokenPair): Promise<Response> {
    // After the refresh under way and the exchanges asked for before (settled either way).
    const turn = Promise.allSettled([inFlight, exchanging]);
    const done = turn.then(() => runExchange(request, pairOf));
    const mine: Promise<void> = done.then(
      () => settled(mine),
      () => settled(mine), // the caller gets the error; the waiters only wait
    );
    exchanging = mine;
    return done;
  }

  function settled(exchange: Promise<void>): void {
    if (exchanging === exchange) exchanging = undefined;
  }

  /**
   * Sends an exchange with the stored access token. Nothing else renews the tokens
   * meanwhile, so when the access token has expired (401 `UNAUTHENTICATED`), it
   * rotates them itself and sends the call again, once.
   */
  async function runExchange(request: Request, pairOf: (body: unknown) => TokenPair): Promise<Response> {
    const tokens = await store.get();
    const retry = request.clone();
    let response = await send(withBearer(request, tokens?.accessToken));
    if (tokens && (await isUnauthenticated(response))) {
      const refreshed = await rotate();
      if (!refreshed.ok) return refreshed.response();
      response = await send(withBearer(retry, refreshed.accessToken));
    }
    if (response.ok) {
      const pair = pairOf(await response.clone().json());
      await store.set({ accessToken: pair.access_token, refreshToken: pair.refresh_token });
    }
    return response;
  }

  async function rotate(): Promise<Refreshed> {
    const presented = await store.get();
    if (!presented) return { ok: false, response: notLoggedIn };
    const body: components["schemas"]["RefreshRequest"] = { refresh_token: presented.refreshToken };
    const response = await send(
      new Request(refreshUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      }),
    );
    if (response.ok) {
      const pair = (await response.json()) as TokenPair;
      await store.set({ accessToken: pair.access_token, refreshToken: pair.refresh_token });
      return { ok: true, accessToken: pair.access_token };
    }
    // Clear only the tokens we presented: a login may have stored new ones meanwhile.
    if (response.status < 500 && (await store.get())?.refreshToken === presented.refreshToken) {
      await store.clear();
    }
    const text = await response.text();
    const init = { status: response.status, statusText: response.statusText, headers: response.headers };
    return { ok: false, response: () => new Response(text, init) };
  }

  async function tokenFetch(request: Request): Promise<Response> {
    if (request.headers.has("Authorization")) return send(request);
    const sent = (await store.get())?.accessToken;
    const first = withBearer(request, sent);
    const retry = first.clone(); // before sending: a body can be read only once
    const response = await send(first);
    if (!(await isUnauthenticated(response))) return response;

    const current = await store.get();
    if (!current) return response;
    let token = current.accessToken;
    if (token === sent) {
      // Not renewed since this request left: renew (or join the renewal under way).
      const refreshed = await refresh();
      if (!refreshed.ok) return refreshed.response();
      token = refreshed.accessToken;
    }
    return send(withBearer(retry, token));
  }

  return { fetch: tokenFetch, refresh, exchange };
}

function withBearer(request: Request, token: string | undefined): Request {
  if (token === undefined) return request;
  const authorized = new Request(request);
  authorized.headers.set("Authorization", `Bearer ${token}`);
  return authorized;
}

/** The code of a 401 that a refresh may cure: the access token was refused. */
const UNAUTHENTICATED: ProblemCode = "UNAUTHENTICATED";

async function isUnauthenticated(response: Response): Promise<boolean> {
  if (response.status !== 401 || !isProblemResponse(response)) return false;
  try {
    const problem = (await response.clone().json()) as { code?: unknown };
    return problem.code === UNAUTHENTICATED;
  } catch {
    return false;
  }
}

/** The answer to a refresh with no tokens stored, shaped as the service's own 401. */
function notLoggedIn(): Response {
  const problem: components["schemas"]["Problem"] = {
    type: "about:blank",
    title: "Not logged in",
    status: 401,
    code: UNAUTHENTICATED,
    detail: "No refresh token is stored: log in first.",
    request_id: "",
  };
  return new Response(JSON.stringify(problem), {
    status: 401,
    statusText: "Unauthorized",
    headers: { "Content-Type": "application/problem+json" },
  });
}
