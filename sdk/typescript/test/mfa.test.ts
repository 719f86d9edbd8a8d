// Login with a second factor (TOTP), against a real accounts server with MFA on (as
// tools/with-server.sh starts it). From the repository root:
//   tools/with-server.sh npm --prefix sdk/typescript test
// The codes come from oathtool (apt-get install -y oathtool), not from the server's code.
import { describe, expect, it } from "vitest";

import {
  createAccountsClient,
  MemoryTokenStore,
  ProblemError,
  unwrap,
  type AccountsClient,
  type Fetch,
  type TotpConfirmation,
} from "../src/index.js";
import { nextTotp, totp } from "./totp.js";

const baseUrl = process.env.ACCOUNTS_URL ?? "";
const password = "correct horse battery staple";
const run = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
let serial = 0;

/** A fetch that counts the refresh calls it sends. */
function countingFetch(): { fetch: Fetch; refreshes: () => number } {
  let refreshes = 0;
  return {
    fetch: (request) => {
      if (request.method === "POST" && new URL(request.url).pathname === "/api/v1/auth/refresh") refreshes++;
      return fetch(request);
    },
    refreshes: () => refreshes,
  };
}

/** Catches the ProblemError that `promise` rejects with. */
async function problem(promise: Promise<unknown>): Promise<ProblemError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProblemError);
  return err as ProblemError;
}

/** The access token with its signature broken: the server answers 401 UNAUTHENTICATED. */
function tamper(jwt: string): string {
  const [header, payload, signature] = jwt.split(".");
  return `${header}.${payload}.${signature!.startsWith("A") ? "B" : "A"}${signature!.slice(1)}`;
}

/**
 * A new user with TOTP on, enrolled and confirmed through `client` (logged in, so it
 * holds the session's aal2 pair). `code` is the code the confirmation spent.
 */
async function enrolled(client: AccountsClient) {
  const email = `ts-sdk-mfa-${run}-${++serial}@example.com`;
  const user = unwrap(await client.POST("/api/v1/auth/register", { body: { email, password, name: "TS SDK MFA" } }));
  expect((await client.login(email, password)).mfa_required).toBe(false);
  const enrolment = unwrap(await client.POST("/api/v1/users/me/mfa/totp", { body: { current_password: password } }));
  const code = totp(enrolment.secret);
  const confirmation = await client.confirmTotp(code);
  return { email, user, enrolment, code, confirmation };
}

/** GET /api/v1/users/{id} of the user themself: a call that needs aal2 once TOTP is on. */
function getSelf(client: AccountsClient, id: string) {
  return client.GET("/api/v1/users/{id}", { params: { path: { id } } }).then(unwrap);
}

describe.concurrent("login with MFA", () => {
  it("enrol, log in (mfa_required), 403 MFA_REQUIRED without a refresh, verify a code", async () => {
    const client = createAccountsClient({ baseUrl });
    const email = `ts-sdk-mfa-${run}-${++serial}@example.com`;
    const user = unwrap(await client.POST("/api/v1/auth/register", { body: { email, password, name: "TS SDK MFA" } }));
    const first = await client.login(email, password);
    expect(first.mfa_required).toBe(false);
    expect(unwrap(await client.GET("/api/v1/users/me/mfa"))).toEqual({ totp_enabled: false, recovery_codes_remaining: 0 });

    // Enrolment: the secret, its URI and a QR code of it; then a first code turns it on.
    const enrolment = unwrap(await client.POST("/api/v1/users/me/mfa/totp", { body: { current_password: password } }));
    expect(enrolment.secret).toMatch(/^[A-Z2-7]+=*$/);
    expect(enrolment.otpauth_uri).toMatch(/^otpauth:\/\/totp\//);
    expect(new URL(enrolment.otpauth_uri).searchParams.get("secret")).toBe(enrolment.secret);
    expect(enrolment.qr_code).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
    const wrong = await problem(client.confirmTotp(totp(enrolment.secret) === "000000" ? "000001" : "000000"));
    expect(wrong).toMatchObject({ status: 400, code: "MFA_CODE_INVALID" });
    const used = totp(enrolment.secret);
    const confirmation: TotpConfirmation = await client.confirmTotp(used);
    expect(confirmation.recovery_codes).toHaveLength(10);
    expect(confirmation.tokens.mfa_required).toBe(false);
    expect(await client.tokens.get()).toEqual({
      accessToken: confirmation.tokens.access_token,
      refreshToken: confirmation.tokens.refresh_token,
    });
    expect(unwrap(await client.GET("/api/v1/users/me/mfa"))).toEqual({ totp_enabled: true, recovery_codes_remaining: 10 });
    await client.refresh(); // with the confirmation's refresh token: the login's is spent
    expect((await getSelf(client, user.id)).email).toBe(email);

    // A new login stops at aal1: the calls that need aal2 answer 403, which is no
    // reason to refresh (a refresh would give aal1 again).
    const counter = countingFetch();
    const second = createAccountsClient({ baseUrl, fetch: counter.fetch });
    const login = await second.login(email, password);
    expect(login.mfa_required).toBe(true);
    expect(await second.tokens.get()).toEqual({ accessToken: login.access_token, refreshToken: login.refresh_token });
    expect(await problem(getSelf(second, user.id))).toMatchObject({ status: 403, code: "MFA_REQUIRED" });
    expect(await problem(second.GET("/api/v1/users/me/mfa").then(unwrap))).toMatchObject({ status: 403, code: "MFA_REQUIRED" });
    expect(unwrap(await second.GET("/api/v1/users/me")).id).toBe(user.id); // good at aal1
    expect(counter.refreshes()).toBe(0);
    expect(await second.tokens.get()).toEqual({ accessToken: login.access_token, refreshToken: login.refresh_token });

    // The confirmation's code is spent; the next step's is good.
    expect(await problem(second.verifyMfa(used))).toMatchObject({ status: 400, code: "MFA_CODE_INVALID" });
    expect((await second.tokens.get())?.refreshToken).toBe(login.refresh_token);
    const verified = await second.verifyMfa(await nextTotp(enrolment.secret, used));
    expect(verified.mfa_required).toBe(false);
    expect(verified.refresh_token).not.toBe(login.refresh_token);
    expect(await second.tokens.get()).toEqual({ accessToken: verified.access_token, refreshToken: verified.refresh_token });
    expect((await getSelf(second, user.id)).email).toBe(email);
    expect(unwrap(await second.GET("/api/v1/users/me/mfa")).totp_enabled).toBe(true);

    // A refresh after the verification presents the new refresh token and stays at aal2.
    await second.refresh();
    expect(counter.refreshes()).toBe(1);
    expect((await second.tokens.get())?.refreshToken).not.toBe(verified.refresh_token);
    expect((await getSelf(second, user.id)).email).toBe(email);

    // The verification spent the login's refresh token: presenting it is a reuse, which
    // ends the session.
    const stale = createAccountsClient({ baseUrl, tokens: new MemoryTokenStore({ accessToken: "", refreshToken: login.refresh_token }) });
    expect((await problem(stale.refresh())).code).toBe("REFRESH_TOKEN_REUSED");
    expect((await problem(getSelf(second, user.id))).status).toBe(401);
  }, 60_000);

  it("a recovery code works once, with or without its dashes", async () => {
    const client = createAccountsClient({ baseUrl });
    const { email, user, confirmation } = await enrolled(client);
    const [once, undashed] = confirmation.recovery_codes;
    expect(once).toMatch(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/);

    const other = createAccountsClient({ baseUrl });
    expect((await other.login(email, password)).mfa_required).toBe(true);
    expect((await other.verifyMfa({ recoveryCode: once! })).mfa_required).toBe(false);
    expect((await getSelf(other, user.id)).id).toBe(user.id);
    expect(unwrap(await other.GET("/api/v1/users/me/mfa")).recovery_codes_remaining).toBe(9);

    const again = createAccountsClient({ baseUrl });
    expect((await again.login(email, password)).mfa_required).toBe(true);
    const spent = await problem(again.verifyMfa({ recoveryCode: once! }));
    expect(spent).toMatchObject({ status: 400, code: "MFA_CODE_INVALID" });
    expect(await problem(getSelf(again, user.id))).toMatchObject({ status: 403, code: "MFA_REQUIRED" });
    await again.verifyMfa({ recoveryCode: undashed!.replaceAll("-", "") });
    expect(unwrap(await again.GET("/api/v1/users/me/mfa")).recovery_codes_remaining).toBe(8);
  });

  it("a verification and a refresh at once, or after a refused access token, present each refresh token once", async () => {
    const counter = countingFetch();
    const client = createAccountsClient({ baseUrl, fetch: counter.fetch });
    const { email, user, confirmation } = await enrolled(client);
    const codes = confirmation.recovery_codes;

    // Either order: the refresh runs before the verification, or after it with its pair.
    for (const [i, order] of (["refresh first", "verify first"] as const).entries()) {
      const login = await client.login(email, password);
      expect(login.mfa_required, order).toBe(true);
      const before = counter.refreshes();
      const recoveryCode = codes[i]!;
      const [a, b] =
        order === "refresh first"
          ? await Promise.all([client.refresh(), client.verifyMfa({ recoveryCode })])
          : await Promise.all([client.verifyMfa({ recoveryCode }), client.refresh()]);
      const verified = order === "refresh first" ? b : a;
      expect(verified, order).toMatchObject({ mfa_required: false });
      expect(counter.refreshes() - before, order).toBe(order === "refresh first" ? 1 : 0);
      expect((await getSelf(client, user.id)).id, order).toBe(user.id);
      await client.refresh(); // the session is alive: no refresh token was presented twice
      expect((await getSelf(client, user.id)).id, order).toBe(user.id);
    }

    // A refused (say, expired) aal1 access token: the verification renews it, then is sent again.
    const login = await client.login(email, password);
    await client.tokens.set({ accessToken: tamper(login.access_token), refreshToken: login.refresh_token });
    const before = counter.refreshes();
    expect((await client.verifyMfa({ recoveryCode: codes[2]! })).mfa_required).toBe(false);
    expect(counter.refreshes() - before).toBe(1);
    expect((await getSelf(client, user.id)).id).toBe(user.id);
    await client.refresh();
    expect((await getSelf(client, user.id)).id).toBe(user.id);
  });
});
