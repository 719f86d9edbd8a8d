import { createAccountsClient, ProblemError, unwrap } from "@meridianhq/accounts-sdk";

const accounts = createAccountsClient({ baseUrl: process.env.ACCOUNTS_URL ?? "http://localhost:8080" });

/** "Forgot your password?": the answer is the same whether or not the address has an account. */
export async function forgotPassword(email: string): Promise<void> {
  unwrap(await accounts.POST("/api/v1/auth/password-reset/request", { body: { email } }));
}

/**
 * Your own reset page (with ACCOUNTS_LINK_BASE_URL set, the mail links to
 * `{base}/reset-password#token=…`): pass it `location.hash` and the new password.
 */
export async function resetPassword(hash: string, newPassword: string): Promise<string> {
  const token = new URLSearchParams(hash.replace(/^#/, "")).get("token") ?? "";
  try {
    unwrap(await accounts.POST("/api/v1/auth/password-reset", { body: { token, new_password: newPassword } }));
    return "Your password is changed: log in with the new one.";
  } catch (err) {
    if (!(err instanceof ProblemError)) throw err;
    if (err.code === "TOKEN_INVALID") return "This link is used or expired: ask for a new one.";
    if (err.code === "WEAK_PASSWORD") return `Choose another password: ${err.detail}`;
    throw err; // 429 RATE_LIMITED, 503 EMAIL_UNAVAILABLE, …
  }
}
