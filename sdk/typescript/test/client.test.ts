// These tests drive a real accounts server. From the repository root:
//   tools/with-server.sh npm --prefix sdk/typescript test
import { describe, expect, it } from "vitest";

import {
  createAccountsClient,
  isProblemCode,
  MemoryTokenStore,
  ProblemError,
  problemCodes,
  UNEXPECTED_RESPONSE,
  unwrap,
  type AccountsClient,
  type Fetch,
} from "../src/index.js";

const baseUrl = accountsUrl();

/** The server under test; the tests refuse to run, rather than skip, without one. */
function accountsUrl(): string {
  const url = process.env.ACCOUNTS_URL;
  if (!url) {
    throw new Error(
      "ACCOUNTS_URL is not set: these tests need a running accounts server. " +
        "From the repository root run: tools/with-server.sh npm --prefix sdk/typescript test",
    );
  }
  return url;
}

const password = "correct horse battery staple";
const run = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
let serial = 0;

/** A fresh, unused address. */
function newEmail(): string {
  return `ts-sdk-${run}-${++serial}@example.com`;
}

/** A fetch that counts the refresh calls it sends. */
function countingFetch(): { fetch: Fetch; calls: string[]; refreshes: () => number } {
  const calls: string[] = [];
  return {
    fetch: (request) => {
      calls.push(`${request.method} ${new URL(request.url).pathname}`);
      return fetch(request);
    },
    calls,
    refreshes: () => calls.filter((c) => c === "POST /api/v1/auth/refresh").length,
  };
}

/** A client with a new user, registered and logged in. */
async function loggedIn(fetch?: Fetch): Promise<{ client: AccountsClient; email: string }> {
  const client = createAccountsClient({ baseUrl, ...(fetch && { fetch }) });
  const email = newEmail();
  unwrap(await client.POST("/api/v1/auth/register", { body: { email, password, name: "TS SDK" } }));
  await client.login(email, password);
  return { client, email };
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

describe("session lifecycle", () => {
  it("register, login, me, refresh, logout", async () => {
    const client = createAccountsClient({ baseUrl });
    const email = newEmail();

    const { data: user, response } = await client.POST("/api/v1/auth/register", {
      body: { email, password, name: "Ada Lovelace" },
    });
    expect(response.status).toBe(201);
    expect(user).toMatchObject({ email, name: "Ada Lovelace", role: "user" });

    const pair = await client.login(email, password);
    expect(pair.token_type).toBe("Bearer");
    expect(await client.tokens.get()).toEqual({ accessToken: pair.access_token, refreshToken: pair.refresh_token });

    const me = unwrap(await client.GET("/api/v1/users/me"));
    expect(me.id).toBe(user!.id);

    await client.refresh();
    const renewed = await client.tokens.get();
    expect(renewed?.refreshToken).not.toBe(pair.refresh_token);
    expect(renewed?.accessToken).not.toBe(pair.access_token);
    expect(unwrap(await client.GET("/api/v1/users/me")).email).toBe(email);

    await client.logout();
    expect(await client.tokens.get()).toBeUndefined();

    const signedOut = await problem(client.GET("/api/v1/users/me").then(unwrap));
    expect(signedOut).toMatchObject({ status: 401, code: "UNAUTHENTICATED" });
    expect((await problem(client.refresh())).code).toBe("UNAUTHENTICATED");

    // The ended session's tokens are dead too: the access token is refused, renewing it
    // fails, and the client forgets them and surfaces the refusal.
    const stale = createAccountsClient({ baseUrl, tokens: new MemoryTokenStore(renewed) });
    const refused = await problem(stale.GET("/api/v1/users/me").then(unwrap));
    expect(refused).toMatchObject({ status: 401, code: "INVALID_REFRESH_TOKEN" });
    expect(await stale.tokens.get()).toBeUndefined();
  });

  it("logout of other sessions keeps this one", async () => {
    const { client, email } = await loggedIn();
    const other = createAccountsClient({ baseUrl });
    await other.login(email, password);

    await client.logout("others");
    expect(unwrap(await client.GET("/api/v1/users/me")).email).toBe(email);
    expect((await problem(other.GET("/api/v1/users/me").then(unwrap))).code).toBe("INVALID_REFRESH_TOKEN");
  });

  it("a user lists and ends their own sessions by id", async () => {
    const { client, email } = await loggedIn();
    const other = createAccountsClient({ baseUrl });
    await other.login(email, password);
    const me = unwrap(await client.GET("/api/v1/users/me"));
    expect(me.disabled).toBe(false);

    const path = { id: me.id };
    const { items } = unwrap(await client.GET("/api/v1/users/{id}/sessions", { params: { path } }));
    expect(items).toHaveLength(2);
    expect(items.filter((s) => s.current)).toHaveLength(1);
    const theirs = items.find((s) => !s.current)!;

    const ended = await client.DELETE("/api/v1/users/{id}/sessions/{sid}", { params: { path: { ...path, sid: theirs.id } } });
    expect(ended.response.status).toBe(204);
    expect((await problem(other.GET("/api/v1/users/me").then(unwrap))).code).toBe("INVALID_REFRESH_TOKEN");
    const again = client.DELETE("/api/v1/users/{id}/sessions/{sid}", { params: { path: { ...path, sid: theirs.id } } });
    expect(await problem(again.then(unwrap))).toMatchObject({ status: 404, code: "SESSION_NOT_FOUND" });
    expect(unwrap(await client.GET("/api/v1/users/{id}/sessions", { params: { path } })).items).toHaveLength(1);
  });
});

describe("automatic refresh", () => {
  it("parallel calls with a refused access token share one refresh", async () => {
    const counter = countingFetch();
    const { client, email } = await loggedIn(counter.fetch);
    const before = (await client.tokens.get())!;
    await client.tokens.set({ ...before, accessToken: tamper(before.accessToken) });
    counter.calls.length = 0;

    const [me, sessions, logoutOthers] = await Promise.all([
      client.GET("/api/v1/users/me"),
      client.GET("/api/v1/auth/sessions"),
      client.POST("/api/v1/auth/logout", { body: { scope: "others" } }), // a body, sent twice
    ]);

    expect(unwrap(me).email).toBe(email);
    expect(unwrap(sessions).items).toHaveLength(1);
    expect(logoutOthers.response.status).toBe(204);
    expect(counter.refreshes()).toBe(1);
    expect(counter.calls).toHaveLength(3 + 1 + 3); // three refused, one refresh, three retried
    const after = (await client.tokens.get())!;
    expect(after.refreshToken).not.toBe(before.refreshToken);
  });

  it("a wrong password is an answer, not an expired token", async () => {
    const counter = countingFetch();
    const { client, email } = await loggedIn(counter.fetch);
    const tokens = await client.tokens.get();

    const err = await problem(client.login(email, "not the password at all"));
    expect(err).toMatchObject({ status: 401, code: "INVALID_CREDENTIALS", errors: [] });
    expect(err.requestId).not.toBe("");
    expect(counter.refreshes()).toBe(0);
    expect(await client.tokens.get()).toEqual(tokens);
  });

  it("a reused refresh token ends the session", async () => {
    const { client } = await loggedIn();
    const stolen = (await client.tokens.get())!;
    await client.refresh();

    const thief = createAccountsClient({ baseUrl, tokens: new MemoryTokenStore(stolen) });
    expect((await problem(thief.refresh())).code).toBe("REFRESH_TOKEN_REUSED");
    expect(await thief.tokens.get()).toBeUndefined();
    expect((await problem(client.GET("/api/v1/users/me").then(unwrap))).status).toBe(401);
    expect(await client.tokens.get()).toBeUndefined();
  });
});

describe("problems", () => {
  it("a duplicate register is EMAIL_TAKEN (409)", async () => {
    const { client, email } = await loggedIn();
    const result = await client.POST("/api/v1/auth/register", { body: { email, password, name: "Again" } });
    expect(result.error?.code).toBe("EMAIL_TAKEN"); // the plain openapi-fetch result is typed too

    const err = await problem(Promise.resolve(result).then(unwrap));
    expect(err).toMatchObject({ status: 409, code: "EMAIL_TAKEN", errors: [{ field: "email" }] });
    expect(err.requestId).toBe(result.response.headers.get("X-Request-ID"));
    expect(err.message).toContain("EMAIL_TAKEN");
  });

  it("the codes come from the contract", () => {
    expect(problemCodes).toContain("EMAIL_TAKEN");
    expect(problemCodes).not.toContain(UNEXPECTED_RESPONSE);
    expect(isProblemCode("RATE_LIMITED")).toBe(true);
    expect(isProblemCode("NO_SUCH_CODE")).toBe(false);
  });

  it("a validation error names the field", async () => {
    const client = createAccountsClient({ baseUrl });
    const err = await problem(
      client
        .POST("/api/v1/auth/register", { body: { email: newEmail(), password: "short", name: "Short" } })
        .then(unwrap),
    );
    expect(err).toMatchObject({ status: 400, code: "VALIDATION_FAILED" });
    expect(err.errors.map((e) => e.field)).toContain("password");
  });

  it("a response that is not a problem document is UNEXPECTED_RESPONSE", async () => {
    const html: Fetch = async () =>
      new Response("<h1>Bad gateway</h1>", {
        status: 502,
        statusText: "Bad Gateway",
        headers: { "Content-Type": "text/html", "X-Request-ID": "proxy-1" },
      });
    const client = createAccountsClient({ baseUrl, fetch: html });
    const err = await problem(client.GET("/api/v1/users/me").then(unwrap));
    expect(err).toMatchObject({ status: 502, code: UNEXPECTED_RESPONSE, title: "Bad Gateway", requestId: "proxy-1" });
  });
});
