/**
 * The TypeScript SDK of the accounts service: openapi-fetch over types generated from
 * its contract (`src/schema.ts`), plus bearer tokens, automatic refresh and typed errors.
 *
 * Errors surface in two ways. The openapi-fetch methods (`GET`, `POST`, …) return
 * `{ data, error, response }` as usual, with `error` typed as the {@link Problem};
 * `unwrap(result)` turns such a result into its data or a thrown {@link ProblemError}.
 * The helpers (`login`, `verifyMfa`, `confirmTotp`, `logout`, `refresh`) throw ProblemError
 * themselves.
 * Network failures reject with fetch's own error either way.
 *
 * @module
 */
import createClient, { type Client } from "openapi-fetch";

import { createTokenFetch, MemoryTokenStore, type Fetch, type TokenStore } from "./auth.js";
import { ProblemError, unwrap } from "./errors.js";
import type { components, paths } from "./schema.js";

export { MemoryTokenStore, type Fetch, type Tokens, type TokenStore } from "./auth.js";
export {
  isProblemCode,
  ProblemError,
  problemCodes,
  UNEXPECTED_RESPONSE,
  unwrap,
  type FieldError,
  type Problem,
  type ProblemCode,
} from "./errors.js";
export type { components, operations, paths } from "./schema.js";

/** A user account. */
export type User = components["schemas"]["User"];
/**
 * The answer to login, refresh and the MFA verification. `mfa_required: true` (after a
 * login) means the user has a second factor that this session has not verified yet.
 */
export type TokenPair = components["schemas"]["TokenPair"];
/** A second factor for {@link AccountsClient.verifyMfa}: the app's 6 digits, or a recovery code. */
export type MfaProof = string | { recoveryCode: string };
/** The answer to the TOTP confirmation: the recovery codes, shown once, and the session's new pair. */
export type TotpConfirmation = components["schemas"]["TotpConfirmation"];
/** Which sessions `logout` ends: `current` (the default), `others` or `all`. */
export type LogoutScope = NonNullable<components["schemas"]["LogoutRequest"]["scope"]>;

/** Options of {@link createAccountsClient}. */
export interface AccountsClientOptions {
  /** The service's root URL, e.g. `https://accounts.example.com`; paths carry `/api/v1`. */
  baseUrl: string;
  /** Where the tokens are kept. Default: a new {@link MemoryTokenStore}. */
  tokens?: TokenStore;
  /** Sends the requests. Default: the global `fetch`, looked up at each call. */
  fetch?: Fetch;
}

/** An openapi-fetch client of the accounts API, with session helpers. */
export type AccountsClient = Client<paths> & {
  /** The store the client reads and writes its tokens in. */
  readonly tokens: TokenStore;
  /**
   * Logs in and stores the new tokens. Throws ProblemError (401 `INVALID_CREDENTIALS`, …).
   *
   * When the answer has `mfa_required: true`, the stored access token is `aal1`: good for
   * {@link verifyMfa}, `GET /api/v1/users/me`, `GET /api/v1/auth/sessions` and logout,
   * while every other call answers 403 `MFA_REQUIRED` (which never triggers a refresh).
   * Ask the user for a code and call `verifyMfa(code)`.
   */
  login(email: string, password: string): Promise<TokenPair>;
  /**
   * Verifies the second factor of the session after a login that answered
   * `mfa_required: true`: `verifyMfa("123456")` with the authenticator app's current
   * code, or `verifyMfa({ recoveryCode })` with one of the recovery codes (each works
   * once). Stores the new pair (`aal2`, `mfa_required: false`), which replaces the
   * login's: its refresh token is spent. No refresh runs meanwhile, and a refresh asked
   * for meanwhile uses the new pair. Throws ProblemError: 400 `MFA_CODE_INVALID` (wrong,
   * used or expired; the stored tokens stay), 429 `RATE_LIMITED` (past 5 wrong codes of
   * the user, until the wait passes), 409 `MFA_NOT_ENROLLED`, 401 (log in again).
   */
  verifyMfa(proof: MfaProof): Promise<TokenPair>;
  /**
   * Turns on a TOTP factor enrolled with `POST /api/v1/users/me/mfa/totp`, with a first
   * code of the app, and stores the session's new `aal2` pair (the old refresh token is
   * spent; the user's other sessions end). Returns the 10 recovery codes, shown this
   * once, and the pair. Throws ProblemError (400 `MFA_CODE_INVALID`, 409
   * `MFA_NOT_ENROLLED`, …).
   */
  confirmTotp(code: string): Promise<TotpConfirmation>;
  /**
   * Ends sessions on the service (`current` by default) and, unless `scope` is `others`,
   * forgets the tokens, even when the call fails. A 401 means the session was already
   * over and is not an error; anything else throws ProblemError.
   */
  logout(scope?: LogoutScope): Promise<void>;
  /**
   * Renews the tokens now (it also happens by itself when a call answers 401
   * `UNAUTHENTICATED`), sharing a renewal already under way (or using the pair of a
   * `verifyMfa` or `confirmTotp` under way). Throws ProblemError when the service
   * refuses, and then the tokens are cleared.
   */
  refresh(): Promise<void>;
};

/**
 * Creates a client of the accounts service.
 *
 * ```ts
 * const accounts = createAccountsClient({ baseUrl: "https://accounts.example.com" });
 * await accounts.login("ada@example.com", "correct horse battery staple");
 * const me = unwrap(await accounts.GET("/api/v1/users/me"));
 * ```
 *
 * Every request carries the stored access token; when the service answers 401
 * `UNAUTHENTICATED`, the client renews the tokens once (one renewal for any number of
 * concurrent calls) and sends the request again. No other answer renews them: a 403
 * `MFA_REQUIRED` asks for {@link AccountsClient.verifyMfa}. Middleware added with
 * `client.use()` sees the final answer. A request that sets its own `Authorization` header, or its own
 * `fetch`, is sent as it is.
 */
export function createAccountsClient(options: AccountsClientOptions): AccountsClient {
  const tokens = options.tokens ?? new MemoryTokenStore();
  const send: Fetch = options.fetch ?? ((request) => globalThis.fetch(request));
  const session = createTokenFetch(options.baseUrl, tokens, send);
  const client = createClient<paths>({ baseUrl: options.baseUrl, fetch: session.fetch });

  return Object.assign(client, {
    tokens,

    async login(email: string, password: string): Promise<TokenPair> {
      const pair = unwrap(await client.POST("/api/v1/auth/login", { body: { email, password } }));
      await tokens.set({ accessToken: pair.access_token, refreshToken: pair.refresh_token });
      return pair;
    },

    async verifyMfa(proof: MfaProof): Promise<TokenPair> {
      const body = typeof proof === "string" ? { code: proof } : { recovery_code: proof.recoveryCode };
      const fetch = (request: Request) => session.exchange(request, (pair) => pair as TokenPair);
      return unwrap(await client.POST("/api/v1/auth/mfa/verify", { body, fetch }));
    },

    async confirmTotp(code: string): Promise<TotpConfirmation> {
      const fetch = (request: Request) => session.exchange(request, (answer) => (answer as TotpConfirmation).tokens);
      return unwrap(await client.POST("/api/v1/users/me/mfa/totp/confirm", { body: { code }, fetch }));
    },

    async logout(scope: LogoutScope = "current"): Promise<void> {
      try {
        unwrap(await client.POST("/api/v1/auth/logout", { body: { scope } }));
      } catch (err) {
        if (!(err instanceof ProblemError && err.status === 401)) throw err;
      } finally {
        if (scope !== "others") await tokens.clear();
      }
    },

    async refresh(): Promise<void> {
      const refreshed = await session.refresh();
      if (refreshed.ok) return;
      const response = refreshed.response();
      const text = await response.text();
      throw ProblemError.from(response, parseJSON(text));
    },
  });
}

function parseJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
