// @ts-check
// The `prepare` script: builds dist/ wherever npm asks for a built package without
// having installed the build's tools first.
//
// npm runs `prepare` for `npm pack` and `npm publish`, for a git dependency (after
// installing its dependencies and devDependencies) and for `npm install <folder>`
// (in the folder, where it installs nothing: the folder gets neither TypeScript nor
// openapi-fetch). So when node_modules is missing or older than package-lock.json, as
// in a fresh clone, this installs the locked packages first, the way `npm ci` does
// by hand. With a symlinked folder they also serve the consumer: Node resolves the
// SDK's imports from its real path.
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const lock = `${root}package-lock.json`;
const installed = `${root}node_modules/.package-lock.json`;

if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  console.error("accounts-sdk: installing the build's tools from package-lock.json (npm ci)");
  // The consumer's npm settings pass through the environment; these flags override
  // those that would break this install: --omit=dev, --global, and scripts (npm ci
  // would run this very script again).
  npm("ci", "--prefix", root, "--include=dev", "--no-global", "--ignore-scripts", "--no-audit", "--no-fund");
}
await import("./build.mjs");

/**
 * Runs the npm that runs this script (npm_execpath, unless another package manager
 * runs it), or the one on PATH. Its output goes to stderr, so that `npm pack --json`
 * still prints only JSON on stdout.
 */
function npm(/** @type {string[]} */ ...args) {
  const execpath = process.env.npm_execpath ?? "";
  const cli = /[\\/]npm-cli\.js$/.test(execpath) ? execpath : undefined;
  const [cmd, argv] = cli ? [process.execPath, [cli, ...args]] : ["npm", args];
  execFileSync(cmd, argv, { cwd: root, stdio: ["ignore", 2, 2], shell: !cli && process.platform === "win32" });
}
