import { defineConfig } from "vitest/config";

export default defineConfig({
  // The examples import the package by its name, as an application does.
  resolve: { alias: { "@meridianhq/accounts-sdk": new URL("./src/index.ts", import.meta.url).pathname } },
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["verbose"], // every test by name, so a log shows that none was skipped
    // The tests share one server; each test registers its own user.
    testTimeout: 15_000,
  },
});
