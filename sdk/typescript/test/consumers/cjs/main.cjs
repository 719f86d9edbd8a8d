// A CommonJS consumer: require()s the SDK, registers the user named on the command
// line, logs in, and prints who it is. Run by test/install.test.ts with ACCOUNTS_URL.
"use strict";
const { createAccountsClient, ProblemError, unwrap } = require("@meridianhq/accounts-sdk");

async function main() {
  const [email] = process.argv.slice(2);
  if (!email || !process.env.ACCOUNTS_URL) throw new Error("usage: ACCOUNTS_URL=… node main.cjs EMAIL");
  const password = "correct horse battery staple";
  const accounts = createAccountsClient({ baseUrl: process.env.ACCOUNTS_URL });

  unwrap(await accounts.POST("/api/v1/auth/register", { body: { email, password, name: "CommonJS" } }));
  const refused = await accounts.login(email, "not the password").catch((err) => err);
  if (!(refused instanceof ProblemError) || refused.code !== "INVALID_CREDENTIALS") throw refused;
  await accounts.login(email, password);
  const me = unwrap(await accounts.GET("/api/v1/users/me"));
  console.log(`${me.email} ${me.role}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
