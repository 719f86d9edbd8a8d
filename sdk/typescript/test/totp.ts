// TOTP codes for the MFA tests, from Debian's oathtool: an implementation of RFC 6238
// independent of the server's (CI installs it; so must a developer).
import { execFileSync } from "node:child_process";

/** The current code of a base32 `secret`, as an authenticator app shows it now. */
export function totp(secret: string): string {
  try {
    return execFileSync("oathtool", ["--totp", "--base32", secret], { encoding: "utf8" }).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error("oathtool is not installed: the MFA tests compute their codes with it. Install it: apt-get install -y oathtool");
    }
    throw err;
  }
}

/**
 * A code of a later 30 s step than `used`: a code is good once, so the code after the one
 * just used is the next step's. Polls oathtool until its code changes (at most 31 s).
 */
export async function nextTotp(secret: string, used: string): Promise<string> {
  const deadline = Date.now() + 31_000;
  for (;;) {
    const code = totp(secret);
    if (code !== used) return code;
    if (Date.now() > deadline) throw new Error(`oathtool showed ${used} for more than 31 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
