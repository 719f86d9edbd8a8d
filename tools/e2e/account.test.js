// The hosted pages of the mails' links (/account/verify-email,
// /account/reset-password, /account/confirm-email-change), in Debian's
// Chromium (headless), against a real server and a real mail catcher:
//
//   WITH_MAIL=true tools/with-server.sh npm --prefix tools/e2e test
//
// with-server.sh starts Mailpit, points the server's SMTP at it and sets
// MAILPIT_URL, the base of its HTTP API, from which this test reads the mails.
// For each flow the mail is read back, its link opened in the browser, the
// page's button pressed, and the outcome checked through the API. The pages
// must load and call only the server's own origin, with no failed request, no
// console error and no CSP violation (but for the one failure a spent token is
// expected to give). Screenshots go to test-artifacts/ at the repository root.
//
// The page's element ids (#form, #new_password, #confirm_password, #submit,
// #status with class "ok" or "error") are those of server/account/page.html.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { randomBytes } from "node:crypto";

const CHROMIUM = "/usr/bin/chromium";
const TIMEOUT = 30_000; // for any one wait, mails included
const ARTIFACTS = new URL("../../test-artifacts/", import.meta.url);
const LINK = /https?:\/\/[^\s"<>]+#token=([A-Za-z0-9_-]+)/;
const CODE = /code[^0-9]{0,80}\b([0-9]{6})\b/;

const base = process.env.ACCOUNTS_URL;
const mailpit = process.env.MAILPIT_URL;
const inCI = process.env.CI === "true";

const missing = !existsSync(CHROMIUM)
  ? { why: `no browser at ${CHROMIUM}: the hosted pages' browser test cannot run`,
      fix: ["Install Debian's Chromium to run it (never a tool's own browser download):",
        "    sudo apt-get update && sudo apt-get install -y chromium"],
      ci: ".ci/run must install it: apt-get install -y chromium" }
  : !mailpit
    ? { why: "MAILPIT_URL is not set: the hosted pages' browser test has no mail to read",
        fix: ["Run it with a mail catcher:", "    WITH_MAIL=true tools/with-server.sh npm --prefix tools/e2e test"],
        ci: "make test-browser sets WITH_MAIL=true" }
    : null;

if (missing) {
  if (inCI) {
    test("Chromium and Mailpit are there (required when CI=true)", () => {
      assert.fail(`${missing.why}. ${missing.ci}`);
    });
  } else {
    const bar = "!".repeat(78);
    console.error([bar, `!!! SKIPPED: ${missing.why}.`, ...missing.fix.map((l) => `!!! ${l}`),
      "!!! With CI=true this fails instead.", bar].join("\n"));
    test("the hosted account pages in Chromium", { skip: missing.why }, () => {});
  }
} else {
  browserTests();
}

function browserTests() {
  let browser, context;
  const requests = []; // the URL of every request the browser made
  const failures = []; // requests that failed or answered >= 400
  const consoleErrors = []; // console.error, uncaught exceptions, CSP violations

  const id = randomBytes(6).toString("hex");
  const email = `account-e2e-${id}@example.com`;
  const newEmail = `account-e2e-${id}-new@example.com`;
  const password = "correct horse battery staple";
  const newPassword = "purple monkey dishwasher lamp";
  let resetLink; // spent by the reset test, opened again by the next one

  before(async () => {
    assert.ok(base, "ACCOUNTS_URL is not set: run this through tools/with-server.sh");
    const { chromium } = await import("playwright-core").catch((err) => {
      throw new Error(`playwright-core is not installed: run npm ci --prefix tools/e2e (${err.message})`);
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    });
    context = await browser.newContext({ viewport: { width: 800, height: 600 } });
    context.setDefaultTimeout(TIMEOUT);
    context.on("request", (r) => requests.push(r.url()));
    context.on("requestfailed", (r) => failures.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
    context.on("response", (r) => {
      if (r.status() >= 400) failures.push(`${r.request().method()} ${r.url()}: HTTP ${r.status()}`);
    });
    await context.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) =>
        console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`));
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
  });

  test("register: the verification mail has the link and a 6-digit code", async () => {
    const reg = await api("POST", "/api/v1/auth/register", { email, password, name: "Account E2E" });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    const mail = await mailTo(email, "Confirm your email address");
    const link = linkOf(mail, "verify-email");
    assert.match(mail.Text, CODE, `a 6-digit code in the mail:\n${mail.Text}`);
    assert.ok(mail.HTML.includes(link), `the HTML part links to ${link} too`);
  });

  test("verify-email: a plain GET of the link (a mail scanner) verifies nothing", async () => {
    const link = linkOf(await mailTo(email, "Confirm your email address"), "verify-email");
    const res = await fetch(link);
    assert.equal(res.status, 200, `GET ${link}`);
    assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
    await res.text();
    assert.equal((await me(email, password)).email_verified, false, "email_verified after a plain GET");
  });

  test("verify-email: the page hides the token, and its button verifies the address", async () => {
    const link = linkOf(await mailTo(email, "Confirm your email address"), "verify-email");
    const page = await openLink(link);
    await page.locator("#submit").click();
    await page.locator("#status.ok").waitFor();
    await page.screenshot({ path: artifact("verify-email.png"), fullPage: true });
    await page.close();
    assert.equal((await me(email, password)).email_verified, true, "email_verified after the button");
    assertCleanSession();
  });

  test("reset-password: the new password works, the old one answers 401", async () => {
    const req = await api("POST", "/api/v1/auth/password-reset/request", { email });
    assert.equal(req.status, 202, JSON.stringify(req.body));
    resetLink = linkOf(await mailTo(email, "Reset your password"), "reset-password");
    const page = await openLink(resetLink);
    // Two different passwords are caught on the page, before any request.
    const sent = requests.length;
    await page.locator("#new_password").fill(newPassword);
    await page.locator("#confirm_password").fill(`${newPassword}!`);
    await page.locator("#submit").click();
    await page.locator("#status.error").waitFor();
    assert.match(await page.locator("#status").innerText(), /differ/);
    assert.deepEqual(requests.slice(sent), [], "no request for two different passwords");
    await page.locator("#confirm_password").fill(newPassword);
    await page.locator("#submit").click();
    await page.locator("#status.ok").waitFor();
    assert.equal(await page.locator("#form").isHidden(), true, "the form is hidden once done");
    await page.screenshot({ path: artifact("reset-password.png"), fullPage: true });
    await page.close();
    assert.equal((await login(email, newPassword)).status, 200, "login with the new password");
    assert.equal((await login(email, password)).status, 401, "login with the old password");
    assertCleanSession();
  });

  test("reset-password: a spent token shows an error and changes nothing", async () => {
    assert.ok(resetLink, "the reset test ran first");
    const page = await openLink(resetLink);
    const other = "another entirely different passphrase";
    await page.locator("#new_password").fill(other);
    await page.locator("#confirm_password").fill(other);
    await page.locator("#submit").click();
    await page.locator("#status.error").waitFor();
    const text = await page.locator("#status").innerText();
    assert.ok(text.trim().length > 0, "the error says something");
    assert.equal(await page.locator("#submit").isDisabled(), true, "a spent token cannot be retried");
    await page.screenshot({ path: artifact("reset-password-used.png"), fullPage: true });
    await page.close();
    assert.equal((await login(email, other)).status, 401, "the spent token set no password");
    assert.equal((await login(email, newPassword)).status, 200, "the password stays as it was");
    // The one failure this flow is expected to give: the 400 of the spent token,
    // which Chromium also logs to the console.
    const action = new URL("/api/v1/auth/password-reset", base).href;
    assert.deepEqual(failures.splice(0), [`POST ${action}: HTTP 400`]);
    assert.equal(consoleErrors.length, 1, consoleErrors.join("\n"));
    assert.match(consoleErrors.splice(0)[0], /^console: Failed to load resource: .*\b400\b.*\/api\/v1\/auth\/password-reset\)$/);
    assertCleanSession();
  });

  test("confirm-email-change: the button moves the account to the new address", async () => {
    const { body: { access_token: token } } = await login(email, newPassword);
    const req = await api("POST", "/api/v1/users/me/email", { new_email: newEmail, current_password: newPassword }, token);
    assert.equal(req.status, 202, JSON.stringify(req.body));
    const link = linkOf(await mailTo(newEmail, "Confirm your new email address"), "confirm-email-change");
    const page = await openLink(link);
    await page.locator("#submit").click();
    await page.locator("#status.ok").waitFor();
    await page.screenshot({ path: artifact("confirm-email-change.png"), fullPage: true });
    await page.close();
    const user = await me(newEmail, newPassword);
    assert.equal(user.email, newEmail);
    assert.equal(user.email_verified, true);
    assert.equal((await login(email, newPassword)).status, 401, "the old address logs in no more");
    assertCleanSession();
  });

  // openLink opens a mail's link in a new page, and checks that the page
  // dropped the token from the address bar and shows its form.
  async function openLink(link) {
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() !== "error") return;
      consoleErrors.push(`console: ${m.text()} (${m.location()?.url})`);
    });
    page.on("pageerror", (e) => consoleErrors.push(`uncaught: ${e.message}`));
    const res = await page.goto(link, { waitUntil: "load" });
    assert.equal(res.status(), 200, `GET ${link}`);
    await page.locator("#form").waitFor(); // visible: the script found the token
    const token = new URL(link).hash.slice("#token=".length);
    const url = page.url();
    assert.ok(!url.includes("#") && !url.includes(token), `the token is still in the address bar: ${url}`);
    assert.equal(url, link.slice(0, link.indexOf("#")));
    return page;
  }

  // The whole session so far: same origin only, nothing failed, nothing logged as an error.
  function assertCleanSession() {
    const origin = new URL(base).origin;
    const external = requests.filter((u) => !/^(data|blob):/.test(u) && new URL(u).origin !== origin);
    assert.deepEqual({ external, failures, consoleErrors },
      { external: [], failures: [], consoleErrors: [] },
      `the account pages must load only from ${origin}, with no failed request and no console error`);
  }
}

// linkOf is the link of mail's text part, checked to open the hosted page
// named page on the server under test (ACCOUNTS_PUBLIC_URL's default).
function linkOf(mail, page) {
  const m = mail.Text.match(LINK);
  assert.ok(m, `a link with a token in the mail:\n${mail.Text}`);
  assert.ok(m[0].startsWith(new URL(`/account/${page}#token=`, base).href),
    `the link ${m[0]} opens /account/${page} on ${base}`);
  return m[0];
}

// mailTo returns the newest mail to address with subject, with its Text and
// HTML, waiting for it to arrive.
async function mailTo(address, subject) {
  return eventually(async () => {
    const res = await fetch(new URL(`/api/v1/search?query=${encodeURIComponent(`to:${address}`)}`, mailpit));
    assert.equal(res.status, 200, "Mailpit search");
    const found = (await res.json()).messages.find((m) => m.Subject === subject); // newest first
    assert.ok(found, `no mail "${subject}" to ${address} yet`);
    const msg = await fetch(new URL(`/api/v1/message/${found.ID}`, mailpit));
    assert.equal(msg.status, 200, "Mailpit message");
    return msg.json();
  });
}

async function api(method, path, body, token) {
  const headers = { Accept: "application/json, application/problem+json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(new URL(path, base), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

function login(email, password) {
  return api("POST", "/api/v1/auth/login", { email, password });
}

// me logs in and returns GET /api/v1/users/me.
async function me(email, password) {
  const res = await login(email, password);
  assert.equal(res.status, 200, `login of ${email}: ${JSON.stringify(res.body)}`);
  const user = await api("GET", "/api/v1/users/me", undefined, res.body.access_token);
  assert.equal(user.status, 200, JSON.stringify(user.body));
  return user.body;
}

function artifact(name) {
  return new URL(name, ARTIFACTS).pathname;
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
