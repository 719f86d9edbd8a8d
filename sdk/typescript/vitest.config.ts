import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["verbose"], // every test by name, so a log shows that none was skipped
    // The tests share one server; each test registers its own user.
    testTimeout: 15_000,
  },
});
