// The SDK installed the ways its README says, each from a clean copy of this folder
// (the files git tracks or would track: no node_modules, no dist), as in a new clone:
//   - npm install <path>: an ES module TypeScript project compiles the README example
//     with tsc --strict and runs it against the server at ACCOUNTS_URL;
//   - npm pack, then npm install <tarball>: a CommonJS script require()s the SDK and
//     makes calls, after tsc has type-checked it;
//   - npm install <git URL pinned to a commit>::path:sdk/typescript: both entry points load.
// No step runs `npm ci` in the copy by hand: the SDK's `prepare` script must do what is
// needed. npm prefers its cache (npm_config_prefer_offline), so the registry is asked
// only for what the cache lacks.
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

const sdk = fileURLToPath(new URL("..", import.meta.url));
const consumers = join(sdk, "test", "consumers");
const manifest = JSON.parse(await readFile(join(sdk, "package.json"), "utf8")) as {
  name: string;
};
const password = "correct horse battery staple";
const timeout = 180_000;

/** The first npm tested to install a folder of a git repository (pacote's gitSubdir). */
const gitSubdirNpm = [11, 19];
const npmVersion = (await run("npm", ["--version"], { cwd: sdk })).stdout.trim();
const npmReadsGitSubdirs = atLeast(npmVersion, gitSubdirNpm);
if (!npmReadsGitSubdirs) {
  console.warn(`install.test.ts: npm ${npmVersion} is older than ${gitSubdirNpm.join(".")}: the git URL install is not tested`);
}

let work = "";
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "accounts-sdk-install-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe.concurrent("install from a clean copy", () => {
  it("npm install <path>: an ESM TypeScript project compiles and runs the README example", { timeout }, async () => {
    const copy = await cleanCopy(join(work, "path", "sdk"));
    const app = await consumer("esm", join(work, "path", "app"));
    await cp(join(sdk, "examples", "readme.ts"), join(app, "src", "readme.ts"));

    await npm(app, "install", copy);
    await tsc(app);
    await register("ada@example.com", "Ada Lovelace");
    const { stdout, stderr } = await run(process.execPath, ["dist/readme.js"], { cwd: app, env: serverEnv() });
    expect(stderr).toBe("");
    expect(stdout).toBe("Hello, Ada Lovelace (user)\n");
  });

  it("npm pack: a CommonJS script require()s the tarball and makes calls", { timeout }, async () => {
    const copy = await cleanCopy(join(work, "pack", "sdk"));
    const { stdout } = await npm(copy, "pack", "--json", "--pack-destination", join(work, "pack"));
    const [packed] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
    const files = packed.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining(["dist/esm/index.js", "dist/esm/index.d.ts", "dist/cjs/index.js", "dist/cjs/index.d.ts"]),
    );
    expect(files.filter((f) => !/^(dist|src)\/|^(package\.json|README\.md)$/.test(f))).toEqual([]);

    const app = await consumer("cjs", join(work, "pack", "app"));
    await npm(app, "install", join(work, "pack", packed.filename));
    await tsc(app);
    const email = `ts-sdk-cjs-${Date.now()}@example.com`;
    const { stdout: out } = await run(process.execPath, ["main.cjs", email], { cwd: app, env: serverEnv() });
    expect(out).toBe(`${email} user\n`);
  });

  // Without CI=true, an npm too old for ::path: skips this test, loudly; with it, fails it.
  const gitTest = npmReadsGitSubdirs || process.env.CI === "true" ? it : it.skip;
  gitTest("npm install <git URL>#<commit>::path:sdk/typescript: both entry points load", { timeout }, async () => {
    expect(npmReadsGitSubdirs, `npm ${npmVersion} ignores ::path: in git URLs; install npm ${gitSubdirNpm.join(".")} or newer`).toBe(true);
    const repo = join(work, "git", "repo");
    await cleanCopy(join(repo, "sdk", "typescript"));
    const git = (...args: string[]) => run("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", ...args], { cwd: repo });
    await git("init", "-q");
    await git("add", ".");
    await git("commit", "-q", "-m", "sdk");
    const commit = (await git("rev-parse", "HEAD")).stdout.trim();

    const app = join(work, "git", "app");
    await mkdir(app, { recursive: true });
    await writeFile(join(app, "package.json"), JSON.stringify({ name: "git-consumer", private: true }));
    await npm(app, "install", `git+${pathToFileURL(repo).href}#${commit}::path:sdk/typescript`);

    const load = `console.log(typeof createAccountsClient, typeof ProblemError)`;
    const esm = await run(process.execPath, ["--input-type=module", "-e", `import { createAccountsClient, ProblemError } from "${manifest.name}"; ${load}`], { cwd: app });
    const cjs = await run(process.execPath, ["-e", `const { createAccountsClient, ProblemError } = require("${manifest.name}"); ${load}`], { cwd: app });
    expect(esm.stdout).toBe("function function\n");
    expect(cjs.stdout).toBe("function function\n");
  });
});

/** Reports whether a version "x.y.z" is at least [major, minor]. */
function atLeast(version: string, [major, minor]: number[]): boolean {
  const [x = 0, y = 0] = version.split(".").map(Number);
  return x > major! || (x === major && y >= minor!);
}

/** Copies the SDK's files as git sees them (tracked or new, not ignored) to `dest`. */
async function cleanCopy(dest: string): Promise<string> {
  const { stdout } = await run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: sdk });
  const files = stdout.split("\0").filter((f) => f !== "" && existsSync(join(sdk, f)));
  expect(files).toContain("package.json");
  for (const file of files) {
    await mkdir(dirname(join(dest, file)), { recursive: true });
    await cp(join(sdk, file), join(dest, file));
  }
  expect(existsSync(join(dest, "node_modules"))).toBe(false);
  expect(existsSync(join(dest, "dist"))).toBe(false);
  return dest;
}

/** A fresh copy of the consumer project test/consumers/<name> at `dest`. */
async function consumer(name: string, dest: string): Promise<string> {
  await cp(join(consumers, name), dest, { recursive: true });
  return dest;
}

function npm(cwd: string, ...args: string[]) {
  return run("npm", args, { cwd });
}

/**
 * Compiles (or type-checks) a consumer with its strict tsconfig.json, by the SDK's own
 * TypeScript and Node types: the consumer's node_modules holds what the SDK brings, no more.
 */
function tsc(cwd: string) {
  const tools = join(sdk, "node_modules");
  return run(process.execPath, [join(tools, "typescript", "bin", "tsc"), "-p", cwd, "--strict", "--typeRoots", join(tools, "@types")], { cwd });
}

/** Registers a user on the server under test; one already there is fine. */
async function register(email: string, name: string): Promise<void> {
  const response = await fetch(new URL("/api/v1/auth/register", accountsUrl()), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password, name }),
  });
  expect([201, 409], await response.text()).toContain(response.status);
}

function accountsUrl(): string {
  const url = process.env.ACCOUNTS_URL;
  if (!url) throw new Error("ACCOUNTS_URL is not set: run the tests with tools/with-server.sh (see README.md)");
  return url;
}

function serverEnv(): NodeJS.ProcessEnv {
  return { ...userEnv(), ACCOUNTS_URL: accountsUrl() };
}

/**
 * The environment of a user's shell: without what `npm test` adds for its scripts
 * (npm_package_*, npm_lifecycle_*, …, and node_modules/.bin folders on PATH, which
 * would lend the SDK's own tsc to a clean copy), npm preferring its cache.
 */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    npm_config_prefer_offline: "true",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
  };
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_(package|lifecycle)_|npm_(command|execpath|node_execpath)$|npm_config_local_prefix$|INIT_CWD$)/.test(key)) continue;
    env[key] ??= value;
  }
  env.PATH = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => !/[\\/](node_modules[\\/]\.bin|node-gyp-bin)$/.test(dir))
    .join(delimiter);
  return env;
}

/** Runs a command; a failure names it and carries its output. */
async function run(cmd: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) {
  try {
    return await promisify(execFile)(cmd, args, { env: userEnv(), maxBuffer: 64 << 20, ...options, encoding: "utf8" });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(" ")} (in ${options.cwd}) failed:\n${stdout ?? ""}${stderr ?? ""}`, { cause: err });
  }
}
