// The README's "Login with MFA" example, against a real accounts server with MFA on.
// From the repository root:
//   tools/with-server.sh npm --prefix sdk/typescript test
import { describe, expect, it } from "vitest";

import { accounts, logIn } from "../examples/mfa-login.js";
import { createAccountsClient, ProblemError, unwrap } from "../src/index.js";
import { totp } from "./totp.js";

const baseUrl = process.env.ACCOUNTS_URL ?? "";
const password = "correct horse battery staple";
const run = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

/** A new user, registered through a client of its own; with `mfa`, with TOTP on too. */
async function newUser(name: string, mfa: boolean) {
  const client = createAccountsClient({ baseUrl });
  const email = `ts-sdk-mfa-example-${run}-${name}@example.com`;
  const user = unwrap(await client.POST("/api/v1/auth/register", { body: { email, password, name } }));
  if (!mfa) return { email, user, code: "", recoveryCodes: [] };
  await client.login(email, password);
  const { secret } = unwrap(await client.POST("/api/v1/users/me/mfa/totp", { body: { current_password: password } }));
  const code = totp(secret);
  const { recovery_codes } = await client.confirmTotp(code);
  return { email, user, code, recoveryCodes: recovery_codes };
}

/** An `ask` that answers `answers` in turn and records whether each prompt said "again". */
function prompts(...answers: string[]) {
  const asked: boolean[] = [];
  return {
    asked,
    ask: async (again: boolean) => {
      asked.push(again);
      return answers[asked.length - 1] ?? "";
    },
  };
}

describe("login with MFA (examples/mfa-login.ts)", () => {
  it("asks for nothing without a second factor", async () => {
    const { email, user } = await newUser("plain", false);
    const { asked, ask } = prompts();
    expect((await logIn(email, password, ask)).id).toBe(user.id);
    expect(asked).toEqual([]);
  });

  it("asks again after a wrong code, takes a recovery code, gives up after three tries", async () => {
    const { email, user, code, recoveryCodes } = await newUser("mfa", true);
    const recoveryCode = recoveryCodes[0]!;

    // The confirmation's code is spent: the prompt comes again; a recovery code passes.
    const first = prompts(code, ` ${recoveryCode}\n`);
    expect((await logIn(email, password, first.ask)).id).toBe(user.id);
    expect(first.asked).toEqual([false, true]);
    // The session is at aal2: the calls that need it answer.
    expect(unwrap(await accounts.GET("/api/v1/users/{id}", { params: { path: { id: user.id } } })).id).toBe(user.id);
    expect(unwrap(await accounts.GET("/api/v1/users/me/mfa")).recovery_codes_remaining).toBe(9);

    const spent = prompts(recoveryCode, recoveryCode, recoveryCode, recoveryCode);
    const err = await logIn(email, password, spent.ask).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProblemError);
    expect(err).toMatchObject({ status: 400, code: "MFA_CODE_INVALID" });
    expect(spent.asked).toEqual([false, true, true]);
  });
});
