import { createAccountsClient, ProblemError, unwrap } from "@meridianhq/accounts-sdk";

const accounts = createAccountsClient({ baseUrl: process.env.ACCOUNTS_URL ?? "http://localhost:8080" });
try {
  await accounts.login("ada@example.com", "correct horse battery staple"); // stores the tokens
  const me = unwrap(await accounts.GET("/api/v1/users/me")); // typed as User
  console.log(`Hello, ${me.name} (${me.role})`);
} catch (err) {
  if (!(err instanceof ProblemError)) throw err; // network failure
  console.error(err.status, err.code, err.errors, err.requestId); // e.g. 401 INVALID_CREDENTIALS
}
