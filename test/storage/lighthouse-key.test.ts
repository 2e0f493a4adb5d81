import { expect } from "chai";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadProjectConfig, openStore } from "../../core/config.ts";
import { isProvenantError } from "../../core/errors.ts";

describe("the Lighthouse API key source", function () {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "provenant-lh-key-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  // A server (the dApp, the attestor) started from a terminal opens Lighthouse stores for its requests. If the
  // library prompted whenever it found a terminal, one request would hang on a password prompt on the server's
  // console and read whatever is typed there. Only the CLI can ask: a library caller without `askPassword` fails.
  it("never reads the terminal for a library caller: an encrypted keystore alone is STORAGE_AUTH, even on a TTY", async function () {
    const xdg = join(dir, "xdg");
    mkdirSync(join(xdg, "hardhat-nodejs"), { recursive: true });
    writeFileSync(join(xdg, "hardhat-nodejs", "keystore.json"), "{}");
    const saved = { key: process.env.LIGHTHOUSE_API_KEY, xdg: process.env.XDG_CONFIG_HOME, stdin: process.stdin.isTTY, stderr: process.stderr.isTTY };
    process.env.LIGHTHOUSE_API_KEY = "";
    process.env.XDG_CONFIG_HOME = xdg;
    process.stdin.isTTY = true;
    process.stderr.isTTY = true;
    let refused: unknown;
    try {
      // Endpoints nobody listens on: the key is resolved before any request, so nothing leaves the machine.
      const config = loadProjectConfig(null);
      config.lighthouse = { ...config.lighthouse, apiUrl: "http://127.0.0.1:9", uploadUrl: "http://127.0.0.1:9", gatewayUrl: "http://127.0.0.1:9", retries: 1 };
      await openStore("lighthouse", join(dir, "home"), { config }).put(new TextEncoder().encode("sample"));
    } catch (e) {
      refused = e;
    } finally {
      process.env.LIGHTHOUSE_API_KEY = saved.key;
      if (saved.key === undefined) delete process.env.LIGHTHOUSE_API_KEY;
      process.env.XDG_CONFIG_HOME = saved.xdg;
      if (saved.xdg === undefined) delete process.env.XDG_CONFIG_HOME;
      process.stdin.isTTY = saved.stdin;
      process.stderr.isTTY = saved.stderr;
    }
    expect(isProvenantError(refused), String(refused)).to.equal(true);
    expect((refused as { code: string }).code).to.equal("STORAGE_AUTH");
    expect((refused as Error).message).to.match(/^no Lighthouse API key/);
  });
});
