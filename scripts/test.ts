/**
 * `npm test`: lints (ESLint: one check in the count), compiles, checks the generated ABI
 * file is current, runs every Solidity and mocha test through Hardhat, and ends with the one line CI reads:
 * `N passed, N failed`.
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { REPO } from "./lib/local-chain.ts";

const bin = (name: string) => join(REPO, "node_modules", ".bin", name);

function run(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, FORCE_COLOR: "0" } });
    let output = "";
    const tee = (stream: NodeJS.WriteStream) => (chunk: Buffer) => {
      output += chunk.toString();
      stream.write(chunk);
    };
    child.stdout.on("data", tee(process.stdout));
    child.stderr.on("data", tee(process.stderr));
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

let passed = 0;
let failed = 0;
// Only *.test.ts files are suites: test/ also holds helpers and fixtures that must not run on import.
const given = process.argv.slice(2);
const mochaFiles = given.length ? given : findTests(join(REPO, "test"));
const steps: Array<[string, string[]]> = [
  ["bash", ["scripts/setup-system.sh"]],
  [bin("hardhat"), ["compile"]],
  [process.execPath, ["scripts/export-abi.ts", "--check"]],
  [bin("tsc"), ["--noEmit", "-p", "tsconfig.json"]],
  // The bundle the `provenant` command runs (dist/), rebuilt from these sources: CLI tests run it.
  [process.execPath, ["scripts/build-cli.ts"]],
  ...(given.length ? [] : ([[bin("hardhat"), ["test", "solidity", "--no-compile"]]] as Array<[string, string[]]>)),
  [bin("hardhat"), ["test", "mocha", "--no-compile", ...mochaFiles]],
];

function findTests(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".test.ts"))
    .map((e) => relative(REPO, join(e.parentPath, e.name)))
    .sort();
}
// `npm run lint` first (ESLint: the import direction inside core/, hooks, Next's rules; then Prettier's check), counted
// as one check: a lint or formatting error fails the run but does not stop the tests.
if ((await run("npm", ["run", "--silent", "lint"])).code === 0) passed += 1;
else {
  failed += 1;
  console.error("\nnpm run lint failed");
}

for (const [cmd, args] of steps) {
  const { code, output } = await run(cmd, args);
  // Hardhat prints each runner's summary and then the total: the last count of each kind is the total.
  const last = (re: RegExp) => Number([...output.matchAll(re)].at(-1)?.[1] ?? 0);
  const p = last(/^\s*(\d+) passing/gm);
  const f = last(/^\s*(\d+) failing/gm);
  passed += p;
  failed += f;
  if (code !== 0 && f === 0) {
    failed += 1; // the step broke before its runner could count: one failure, never a silent pass
    console.error(`\n${cmd} ${args.join(" ")} exited with ${code}`);
    if (args[0] === "compile") break; // no point testing what did not build
  }
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
