import { createAccountsClient, ProblemError, unwrap, type User } from "@meridianhq/accounts-sdk";

export const accounts = createAccountsClient({ baseUrl: process.env.ACCOUNTS_URL ?? "http://localhost:8080" });

/**
 * Logs in, and when the account has a second factor asks for it: `ask` shows your prompt
 * ("Enter the code of your authenticator app, or a recovery code") and resolves to what
 * the user typed. Three tries, then the last error is thrown.
 */
export async function logIn(email: string, password: string, ask: (again: boolean) => Promise<string>): Promise<User> {
  const { mfa_required } = await accounts.login(email, password); // stores the tokens
  if (mfa_required) {
    for (let tries = 1; ; tries++) {
      const typed = (await ask(tries > 1)).trim();
      try {
        // 6 digits are the app's code; anything else is a recovery code (xxxx-xxxx-xxxx).
        await accounts.verifyMfa(/^\d{6}$/.test(typed) ? typed : { recoveryCode: typed }); // stores the new tokens
        break;
      } catch (err) {
        // MFA_CODE_INVALID: wrong, used or expired. RATE_LIMITED (429): too many wrong codes.
        if (!(err instanceof ProblemError && err.code === "MFA_CODE_INVALID") || tries === 3) throw err;
      }
    }
  }
  return unwrap(await accounts.GET("/api/v1/users/me"));
}
