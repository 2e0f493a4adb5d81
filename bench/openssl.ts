import { execFileSync } from "node:child_process";

/**
 * `openssl speed -evp sha256` on messages of `bytes` bytes: bytes per second, on one core or on `multi` processes.
 * The physical limit every hashing row is compared with.
 */
export function opensslSha256(bytes: number, multi: number, seconds: number): number {
  const args = ["speed", "-evp", "sha256", "-seconds", String(seconds), "-bytes", String(bytes), ...(multi > 1 ? ["-multi", String(multi)] : [])];
  const out = execFileSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const line = out
    .trim()
    .split("\n")
    .filter((l) => /sha256/.test(l))
    .at(-1)!;
  const k = Number(line.trim().split(/\s+/).at(-1)!.replace(/k$/, ""));
  return k * 1000;
}
