// Swagger UI at /docs, in Debian's Chromium (headless), against a real server:
//
//   tools/with-server.sh npm --prefix tools/e2e test
//
// The page must load only from the server's own origin, with no failed request
// and no console error; it must list exactly the operations of /openapi.json;
// and "Try it out" must register an account (201), log in (200), and, with the
// token given to Authorize, call /users/me (200), then turn TOTP on (enrol, 201;
// confirm with a code, 200) and, with the aal1 token of a new login, verify a
// code (200). The codes come from Debian's oathtool (apt-get install -y
// oathtool), not from the server's code. Screenshots go to test-artifacts/ at
// the repository root.
//
// The selectors below are Swagger UI's own class names, checked against the
// bundle the server embeds (github.com/swaggest/swgui, Swagger UI 5.29.0):
//   .opblock                        one operation (one per tag the operation has)
//   .opblock-summary-method         its method, e.g. "POST"
//   .opblock-summary-path[data-path] its path template, e.g. "/api/v1/auth/register"
//   .opblock-summary-control        the button that expands or collapses it
//   .try-out__btn                   "Try it out" (once expanded)
//   textarea.body-param__text       the request body editor (after "Try it out")
//   button.execute                  "Execute"
//   .live-responses-table .response-col_status     the status of the real response
//   .live-responses-table .response-col_description pre  the body of the real response
//   .scheme-container button.authorize, .modal-ux  the Authorize button and dialog
//   .modal-ux button[aria-label="Remove authorization"]  its "Logout", once authorized
// A different major version of Swagger UI fails the test (see SWAGGER_UI_MAJOR).
// It also relies on init.js keeping Swagger UI's default docExpansion "list"
// (every tag open, every operation closed) and setting no `filter`.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";

const CHROMIUM = "/usr/bin/chromium";
const SWAGGER_UI_MAJOR = "5."; // the selectors above were checked against 5.29.0
const TIMEOUT = 30_000; // for any one wait: a run takes ~5 s, ~15 s on a fully loaded machine
const ARTIFACTS = new URL("../../test-artifacts/", import.meta.url);
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

const base = process.env.ACCOUNTS_URL;
const inCI = process.env.CI === "true";

if (!existsSync(CHROMIUM)) {
  const why = `no browser at ${CHROMIUM}: the Swagger UI browser test cannot run`;
  if (inCI) {
    test("Chromium is installed (required when CI=true)", () => {
      assert.fail(`${why}. .ci/run must install it: apt-get install -y chromium`);
    });
  } else {
    const bar = "!".repeat(78);
    console.error([bar, `!!! SKIPPED: ${why}.`,
      "!!! Install Debian's Chromium to run it (never a tool's own browser download):",
      "!!!     sudo apt-get update && sudo apt-get install -y chromium",
      "!!! With CI=true a missing browser fails this test instead.", bar].join("\n"));
    test("Swagger UI at /docs in Chromium", { skip: why }, () => {});
  }
} else {
  browserTests();
}

function browserTests() {
  let browser, page;
  const requests = []; // the URL of every request the browser made
  const failures = []; // requests that failed or answered >= 400
  const consoleErrors = []; // console.error, uncaught exceptions, CSP violations

  before(async () => {
    assert.ok(base, "ACCOUNTS_URL is not set: run this through tools/with-server.sh");
    // Imported here, so that a machine without a browser can skip before `npm ci`.
    const { chromium } = await import("playwright-core").catch((err) => {
      throw new Error(`playwright-core is not installed: run npm ci --prefix tools/e2e (${err.message})`);
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(TIMEOUT);
    // Context-wide, so requests of workers or other pages would be seen too.
    context.on("request", (r) => requests.push(r.url()));
    context.on("requestfailed", (r) => failures.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
    context.on("response", (r) => {
      if (r.status() >= 400) failures.push(`${r.request().method()} ${r.url()}: HTTP ${r.status()}`);
    });
    page = await context.newPage();
    page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(`console: ${m.text()}`); });
    page.on("pageerror", (e) => consoleErrors.push(`uncaught: ${e.message}`));
    // Chromium also logs CSP violations to the console; this names them precisely.
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) =>
        console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`));
    });
    const res = await page.goto(new URL("/docs", base).href, { waitUntil: "load" });
    assert.equal(res.status(), 200, "GET /docs");
  });

  after(async () => {
    await browser?.close();
  });

  test("renders Swagger UI 5 from this origin only, with no failure or console error", async (t) => {
    await page.waitForSelector(".swagger-ui .opblock");
    const version = await page.evaluate(() => window.versions?.swaggerUI?.version);
    assert.ok(version?.startsWith(SWAGGER_UI_MAJOR),
      `Swagger UI ${version} is served, the selectors were checked against ${SWAGGER_UI_MAJOR}x: recheck them`);
    assertCleanSession();
    t.diagnostic(`Swagger UI ${version}; requests: ${requests.map((u) => u.slice(0, 60)).join(" ")}`);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL("swagger-ui.png", ARTIFACTS).pathname, fullPage: true });
  });

  test("lists exactly the operations of /openapi.json", async () => {
    const res = await fetch(new URL("/openapi.json", base));
    assert.equal(res.status, 200, "GET /openapi.json");
    const spec = await res.json();
    const expected = [];
    for (const [path, item] of Object.entries(spec.paths)) {
      for (const method of METHODS) {
        // Swagger UI shows an operation once under each of its tags ("default" if none).
        const times = item[method] ? Math.max(1, item[method].tags?.length ?? 0) : 0;
        for (let i = 0; i < times; i++) expected.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expected.sort();
    assert.ok(expected.length > 0, "the spec has no operations");
    await eventually(async () => {
      const shown = await page.$$eval(".opblock", (blocks) => blocks.map((b) =>
        `${b.querySelector(".opblock-summary-method")?.textContent.trim()} ` +
        `${b.querySelector(".opblock-summary-path")?.getAttribute("data-path")}`));
      assert.deepEqual(shown.sort(), expected);
    });
  });

  // One account for the whole flow: register, log in, authorize, call /users/me.
  const email = `swagger-e2e-${randomBytes(6).toString("hex")}@example.com`;
  const password = "correct horse battery staple";
  let accessToken;

  test("Try it out: POST /api/v1/auth/register answers 201", async () => {
    const { status, body } = await tryItOut("post", "/api/v1/auth/register",
      { email, password, name: "Swagger E2E" });
    assert.equal(status, "201");
    assert.ok(body.includes(email), `the response body shows ${email}:\n${body}`);
    await page.screenshot({ path: new URL("swagger-ui-register.png", ARTIFACTS).pathname, fullPage: true });
    assertCleanSession();
  });

  test("Try it out: log in, Authorize with the token, GET /api/v1/users/me answers 200", async () => {
    const login = await tryItOut("post", "/api/v1/auth/login", { email, password });
    assert.equal(login.status, "200");
    accessToken = JSON.parse(login.body).access_token;
    assert.ok(accessToken, `no access_token in:\n${login.body}`);

    // The Authorize dialog: one entry per security scheme; bearerAuth takes the token.
    await page.locator(".scheme-container button.authorize").click();
    const dialog = page.locator(".modal-ux");
    await dialog.locator("input").first().fill(accessToken);
    await dialog.locator("button.authorize").click();
    await dialog.locator("button.btn-done").click();

    const me = await tryItOut("get", "/api/v1/users/me");
    assert.equal(me.status, "200", me.body);
    assert.ok(me.body.includes(email), `/users/me shows ${email}:\n${me.body}`);
    await page.screenshot({ path: new URL("swagger-ui-me.png", ARTIFACTS).pathname, fullPage: true });
    assertCleanSession();
  });

  // TOTP through the UI, for the same account: enrol, read the secret from the
  // live response, confirm with oathtool's code.
  let secret, used;

  test("Try it out: enrol TOTP (201), confirm it with a code of the app (200)", async () => {
    const enrol = await tryItOut("post", "/api/v1/users/me/mfa/totp", { current_password: password });
    assert.equal(enrol.status, "201", enrol.body);
    ({ secret } = JSON.parse(enrol.body));
    assert.match(secret ?? "", /^[A-Z2-7]+=*$/, `no base32 secret in:\n${enrol.body}`);

    used = totp(secret);
    const confirm = await tryItOut("post", "/api/v1/users/me/mfa/totp/confirm", { code: used });
    assert.equal(confirm.status, "200", confirm.body);
    const { recovery_codes: codes, tokens } = JSON.parse(confirm.body);
    assert.equal(codes?.length, 10, `10 recovery codes in:\n${confirm.body}`);
    assert.equal(tokens?.mfa_required, false, confirm.body);
    assertCleanSession();
  });

  test("a new login needs MFA: Authorize its aal1 token, Try it out POST /api/v1/auth/mfa/verify answers 200", async () => {
    assert.ok(secret, "no TOTP enrolled by the test before");
    const res = await fetch(new URL("/api/v1/auth/login", base), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    assert.equal(res.status, 200, "POST /api/v1/auth/login");
    const login = await res.json();
    assert.equal(login.mfa_required, true, JSON.stringify(login));

    // The dialog holds the earlier token: log it out, then give the aal1 one.
    await page.locator(".scheme-container button.authorize").click();
    const dialog = page.locator(".modal-ux");
    await dialog.locator('button[aria-label="Remove authorization"]').click();
    await dialog.locator("input").first().fill(login.access_token);
    await dialog.locator("button.authorize").click();
    await dialog.locator("button.btn-done").click();

    // A code is good once: the confirmation spent this step's, so wait for the next.
    const code = await nextTotp(secret, used);
    const verify = await tryItOut("post", "/api/v1/auth/mfa/verify", { code });
    assert.equal(verify.status, "200", verify.body);
    const pair = JSON.parse(verify.body);
    assert.equal(pair.mfa_required, false, verify.body);
    assert.notEqual(pair.refresh_token, login.refresh_token);
    await page.screenshot({ path: new URL("swagger-ui-mfa.png", ARTIFACTS).pathname, fullPage: true });
    assertCleanSession();
  });

  // tryItOut expands an operation, clicks "Try it out", fills the body (when
  // given) and clicks "Execute". Swagger UI sends the request with fetch from the
  // page, so the same-origin check covers it. It returns the live response.
  async function tryItOut(method, path, body) {
    const op = page.locator(`.opblock.opblock-${method}`)
      .filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) })
      .first();
    if (!(await op.locator(".try-out__btn").isVisible())) {
      await op.locator(".opblock-summary-control").click();
    }
    const tryOut = op.locator(".try-out__btn");
    if ((await tryOut.innerText()).trim() === "Try it out") await tryOut.click();
    if (body !== undefined) {
      await op.locator("textarea.body-param__text").fill(JSON.stringify(body, null, 2));
    }
    await op.locator("button.execute").click();
    const response = op.locator(".live-responses-table .response").first();
    await response.locator(".response-col_status").waitFor();
    return {
      status: (await response.locator(".response-col_status").innerText()).trim(),
      // The description cell holds the body (the first code block), then the headers.
      body: await response.locator(".response-col_description pre").first().innerText(),
    };
  }

  // The whole session so far: same origin only, nothing failed, nothing logged as an error.
  function assertCleanSession() {
    const origin = new URL(base).origin;
    // data: and blob: URLs are not network requests (Swagger UI's CSS has data: images).
    const external = requests.filter((u) => !/^(data|blob):/.test(u) && new URL(u).origin !== origin);
    assert.deepEqual({ external, failures, consoleErrors },
      { external: [], failures: [], consoleErrors: [] },
      `the docs page must load only from ${origin}, with no failed request and no console error`);
  }
}

// totp is the current code of a base32 secret, from Debian's oathtool: an
// implementation independent of the server's.
function totp(secret) {
  try {
    return execFileSync("oathtool", ["--totp", "--base32", secret], { encoding: "utf8" }).trim();
  } catch (err) {
    if (err.code === "ENOENT") {
      throw new Error("oathtool is not installed: the MFA steps compute their codes with it. Install it: apt-get install -y oathtool");
    }
    throw err;
  }
}

// nextTotp waits for a code of a later 30 s step than used: it polls oathtool
// until its code changes (at most 31 s).
async function nextTotp(secret, used) {
  return eventually(() => {
    const code = totp(secret);
    assert.notEqual(code, used, `oathtool showed ${used} for more than 31 s`);
    return code;
  }, 31_000, 250);
}

// eventually retries fn until it stops throwing, and rethrows its last error
// after the timeout: an expect-style poll, instead of a fixed sleep.
async function eventually(fn, timeout = TIMEOUT, interval = 100) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, interval));
    }
  }
}
