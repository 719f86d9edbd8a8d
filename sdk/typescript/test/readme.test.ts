// The READMEs' TypeScript examples are files that the tests compile and run
// (install.test.ts runs examples/readme.ts): each ```ts block must follow a line
// `<!-- verbatim from <path from the repository root> -->` and equal that file.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("../../..", import.meta.url));

describe.each(["README.md", "sdk/typescript/README.md"])("%s", (readme) => {
  it("every TypeScript block is an example file, verbatim", async () => {
    const blocks = tsBlocks(await readFile(join(repo, readme), "utf8"));
    expect(blocks.length).toBeGreaterThan(0);
    for (const { marker, code } of blocks) {
      const source = /^<!-- verbatim from (\S+) -->$/.exec(marker)?.[1];
      expect(source, `a TypeScript block of ${readme} follows "${marker}", not <!-- verbatim from <file> -->`).toBeDefined();
      expect(code, `${readme}: the block from ${source} differs from the file`).toBe(await readFile(join(repo, source!), "utf8"));
    }
  });
});

/** The ```ts (or ```typescript) blocks of a Markdown text, each with the line before it. */
function tsBlocks(markdown: string): { marker: string; code: string }[] {
  const blocks: { marker: string; code: string }[] = [];
  const fence = /^```(?:ts|typescript)\n([\s\S]*?)^```$/gm;
  for (let m = fence.exec(markdown); m; m = fence.exec(markdown)) {
    const before = markdown.slice(0, m.index).trimEnd().split("\n");
    blocks.push({ marker: before.at(-1) ?? "", code: m[1]! });
  }
  return blocks;
}

describe("tsBlocks", () => {
  it("finds each block and the line before it", () => {
    const md = "# x\n<!-- verbatim from a.ts -->\n```ts\nconst a = 1;\n```\n\ntext\n\n```typescript\nb();\n```\n```sh\nls\n```\n";
    expect(tsBlocks(md)).toEqual([
      { marker: "<!-- verbatim from a.ts -->", code: "const a = 1;\n" },
      { marker: "text", code: "b();\n" },
    ]);
  });
});
