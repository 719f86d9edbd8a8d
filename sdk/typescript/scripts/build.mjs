// @ts-check
// The `build` script: dist/esm (ES modules, tsconfig.build.json) and dist/cjs
// (CommonJS, tsconfig.cjs.json), each with its declarations. dist/cjs/package.json
// says "type": "commonjs", so that Node loads those .js files, and TypeScript reads
// those .d.ts files, as CommonJS inside this "type": "module" package.
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

rmSync(`${root}dist`, { recursive: true, force: true });
for (const project of ["tsconfig.build.json", "tsconfig.cjs.json"]) {
  execFileSync(process.execPath, [tsc, "-p", `${root}${project}`], { stdio: ["ignore", 2, 2] });
}
writeFileSync(`${root}dist/cjs/package.json`, `${JSON.stringify({ type: "commonjs" })}\n`);
