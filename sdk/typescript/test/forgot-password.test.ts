// The README's "forgot password" example, against a real server that sends
// mail to a real Mailpit. From the repository root:
//   WITH_MAIL=true tools/with-server.sh npm --prefix sdk/typescript test
import { describe, expect, it } from "vitest";

import { forgotPassword, resetPassword } from "../examples/forgot-password.js";
import { createAccountsClient, ProblemError, unwrap } from "../src/index.js";

const mailpit = process.env.MAILPIT_URL;
const baseUrl = process.env.ACCOUNTS_URL ?? "";

/** The text of the newest mail to address with subject, once it has come. */
async function mailTo(address: string, subject: string): Promise<string> {
  for (let i = 0; i < 150; i++) {
    const list = (await (await fetch(`${mailpit}/api/v1/search?query=${encodeURIComponent(`to:${address}`)}`)).json()) as {
      messages: { ID: string; Subject: string }[];
    };
    const found = list.messages.find((m) => m.Subject === subject);
    if (found) return ((await (await fetch(`${mailpit}/api/v1/message/${found.ID}`)).json()) as { Text: string }).Text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail "${subject}" to ${address} within 15 s`);
}

describe("forgot password (examples/forgot-password.ts)", () => {
  it("needs the server's mail: run with WITH_MAIL=true", () => {
    expect(mailpit, "MAILPIT_URL is not set: run WITH_MAIL=true tools/with-server.sh npm --prefix sdk/typescript test").toBeTruthy();
  });

  it.runIf(mailpit)("resets the password from the mail's link, once", async () => {
    const email = `ts-sdk-reset-${Date.now()}@example.com`;
    const accounts = createAccountsClient({ baseUrl });
    unwrap(await accounts.POST("/api/v1/auth/register", { body: { email, password: "correct horse battery staple", name: "Reset" } }));

    await forgotPassword(email);
    await forgotPassword(`nobody-${Date.now()}@example.com`); // answers alike
    const link = /https?:\/\/\S+#token=[A-Za-z0-9_-]+/.exec(await mailTo(email, "Reset your password"))?.[0];
    expect(link).toBeDefined();
    const hash = new URL(link!).hash;

    expect(await resetPassword(hash, "password")).toMatch(/^Choose another password: /);
    expect(await resetPassword(hash, "purple monkey dishwasher lamp")).toBe("Your password is changed: log in with the new one.");
    expect(await resetPassword(hash, "purple monkey dishwasher lamp")).toBe("This link is used or expired: ask for a new one.");
    await accounts.login(email, "purple monkey dishwasher lamp");
    await expect(accounts.login(email, "correct horse battery staple")).rejects.toBeInstanceOf(ProblemError);
  });
});
