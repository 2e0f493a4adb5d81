import { expect } from "chai";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  dataDir,
  defaultLighthouseSettings,
  findProjectConfig,
  loadProjectConfig,
  openStore,
  PROJECT_CONFIG_FILE,
  PROJECT_CONFIG_FORMAT,
  retryPolicy,
} from "../core/config.ts";
import { thrownBy } from "./helpers/errors.ts";
import { DEFAULT_RETRY } from "../core/storage/retry.ts";
import { LighthouseStore } from "../core/storage/lighthouse-store.ts";
import { LocalStore } from "../core/storage/local-store.ts";

describe("core/config.ts: the data directory and provenant.config.json", function () {
  let work: string;
  const saved = { home: process.env.PROVENANT_HOME, config: process.env.PROVENANT_CONFIG };
  const restore = (k: "PROVENANT_HOME" | "PROVENANT_CONFIG", v: string | undefined) => (v === undefined ? delete process.env[k] : (process.env[k] = v));

  before(() => (work = mkdtempSync(join(tmpdir(), "provenant-config-"))));
  after(() => rmSync(work, { recursive: true, force: true }));
  beforeEach(() => {
    delete process.env.PROVENANT_HOME;
    delete process.env.PROVENANT_CONFIG;
  });
  afterEach(() => {
    restore("PROVENANT_HOME", saved.home);
    restore("PROVENANT_CONFIG", saved.config);
  });

  /** Writes a config file holding `value` (JSON unless a string is given) and returns its path. */
  function configFile(name: string, value: unknown): string {
    const path = join(work, name);
    writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value));
    return path;
  }

  describe("dataDir", () => {
    it("takes --data-dir first, then $PROVENANT_HOME, then ~/.provenant, always absolute", () => {
      process.env.PROVENANT_HOME = join(work, "from-env");
      expect(dataDir("relative/dir")).to.equal(resolve("relative/dir"));
      expect(dataDir()).to.equal(join(work, "from-env"));
      delete process.env.PROVENANT_HOME;
      expect(dataDir()).to.equal(join(homedir(), ".provenant"));
    });
  });

  describe("findProjectConfig", () => {
    it("finds provenant.config.json in the directory or the nearest parent, else null", () => {
      const top = join(work, "find");
      const deep = join(top, "a", "b");
      mkdirSync(deep, { recursive: true });
      expect(findProjectConfig(deep)).to.equal(null);
      writeFileSync(join(top, PROJECT_CONFIG_FILE), "{}");
      expect(findProjectConfig(deep)).to.equal(join(top, PROJECT_CONFIG_FILE));
      writeFileSync(join(deep, PROJECT_CONFIG_FILE), "{}");
      expect(findProjectConfig(deep), "the nearest wins").to.equal(join(deep, PROJECT_CONFIG_FILE));
    });

    it("takes $PROVENANT_CONFIG over any file found, and refuses one that does not exist", () => {
      const named = configFile("named.json", {});
      process.env.PROVENANT_CONFIG = named;
      expect(findProjectConfig(join(work, "find", "a", "b"))).to.equal(named);
      process.env.PROVENANT_CONFIG = join(work, "absent.json");
      const e = thrownBy(() => findProjectConfig());
      expect(e.code).to.equal("CONFIG_INVALID");
      expect(e.message).to.equal(`PROVENANT_CONFIG names ${join(work, "absent.json")}, which does not exist`);
    });
  });

  describe("loadProjectConfig", () => {
    it("gives the defaults without a file: local storage and the Lighthouse SDK's endpoints", () => {
      const c = loadProjectConfig(null);
      expect(c).to.deep.equal({ path: null, storage: "local", lighthouse: defaultLighthouseSettings() });
      expect(c.lighthouse).to.include({ timeoutMs: 60_000, retries: DEFAULT_RETRY.attempts, retryBaseMs: DEFAULT_RETRY.baseDelayMs, podsiNetwork: "mainnet" });
      expect(c.lighthouse.apiUrl).to.match(/^https:\/\//);
    });

    it("reads every key it knows and keeps the defaults of the others", () => {
      const path = configFile("full.json", {
        format: PROJECT_CONFIG_FORMAT,
        storage: "lighthouse",
        lighthouse: { apiUrl: "http://127.0.0.1:1", uploadUrl: "https://up.example", timeoutMs: 0, retries: 1, retryBaseMs: 5, podsiNetwork: "testnet" },
      });
      const c = loadProjectConfig(path);
      expect(c.path).to.equal(path);
      expect(c.storage).to.equal("lighthouse");
      expect(c.lighthouse).to.deep.equal({
        ...defaultLighthouseSettings(),
        apiUrl: "http://127.0.0.1:1",
        uploadUrl: "https://up.example",
        timeoutMs: 0,
        retries: 1,
        retryBaseMs: 5,
        podsiNetwork: "testnet",
      });
      expect(loadProjectConfig(configFile("minimal.json", { format: PROJECT_CONFIG_FORMAT })).storage).to.equal("local");
    });

    it("finds the file itself when given no path", () => {
      process.env.PROVENANT_CONFIG = configFile("found.json", { format: PROJECT_CONFIG_FORMAT, storage: "lighthouse" });
      expect(loadProjectConfig().storage).to.equal("lighthouse");
    });

    const refusals: Array<[string, unknown, string]> = [
      ["not JSON", "{", "is not JSON"],
      ["not an object", [1], "is invalid: not a JSON object"],
      ["no format", { storage: "local" }, `has format null; this version of provenant reads ${PROJECT_CONFIG_FORMAT}`],
      ["another version", { format: "provenant-config-v2" }, `has format "provenant-config-v2"; this version of provenant reads ${PROJECT_CONFIG_FORMAT}`],
      ["an unknown key", { format: PROJECT_CONFIG_FORMAT, storge: "local" }, `is invalid: unknown key "storge"`],
      ["an unknown storage", { format: PROJECT_CONFIG_FORMAT, storage: "s3" }, `: "storage": unknown storage "s3": use local or lighthouse`],
      ["lighthouse not an object", { format: PROJECT_CONFIG_FORMAT, lighthouse: "fast" }, `is invalid: "lighthouse" must be an object`],
      ["lighthouse a list", { format: PROJECT_CONFIG_FORMAT, lighthouse: [] }, `is invalid: "lighthouse" must be an object`],
      ["a URL without http(s)", { format: PROJECT_CONFIG_FORMAT, lighthouse: { gatewayUrl: "ftp://x" } }, `"lighthouse.gatewayUrl" must be an http(s) URL`],
      ["a URL that is not text", { format: PROJECT_CONFIG_FORMAT, lighthouse: { apiUrl: 7 } }, `"lighthouse.apiUrl" must be an http(s) URL`],
      ["a fractional timeout", { format: PROJECT_CONFIG_FORMAT, lighthouse: { timeoutMs: 1.5 } }, `"lighthouse.timeoutMs" must be a whole number`],
      ["a negative backoff", { format: PROJECT_CONFIG_FORMAT, lighthouse: { retryBaseMs: -1 } }, `"lighthouse.retryBaseMs" must be a whole number`],
      ["zero attempts", { format: PROJECT_CONFIG_FORMAT, lighthouse: { retries: 0 } }, `"lighthouse.retries" must be a whole number`],
      ["an unknown network", { format: PROJECT_CONFIG_FORMAT, lighthouse: { podsiNetwork: "calibration" } }, `"lighthouse.podsiNetwork" must be "mainnet" or "testnet"`],
      ["an unknown lighthouse key", { format: PROJECT_CONFIG_FORMAT, lighthouse: { apiKey: "secret" } }, `unknown key "lighthouse.apiKey"`],
    ];
    for (const [what, value, message] of refusals) {
      it(`refuses a file with ${what}, in one CONFIG_INVALID line naming the file`, () => {
        const path = configFile(`bad-${what.replace(/\W+/g, "-")}.json`, value);
        const e = thrownBy(() => loadProjectConfig(path));
        expect(e.code).to.equal("CONFIG_INVALID");
        expect(e.message).to.contain(path).and.contain(message);
        expect(e.message).to.not.contain("\n");
      });
    }

    it("refuses a path it cannot read, naming it", () => {
      const e = thrownBy(() => loadProjectConfig(work)); // a directory: EISDIR
      expect(e.code).to.equal("CONFIG_INVALID");
      expect(e.message).to.equal(`cannot read ${work} (EISDIR)`);
    });
  });

  it("retryPolicy: the attempts and backoff of the settings, the library's cap", () => {
    expect(retryPolicy({ ...defaultLighthouseSettings(), retries: 2, retryBaseMs: 7 })).to.deep.equal({
      attempts: 2,
      baseDelayMs: 7,
      maxDelayMs: DEFAULT_RETRY.maxDelayMs,
    });
  });

  describe("openStore", () => {
    const lighthouseConfig = () =>
      loadProjectConfig(configFile("lh.json", { format: PROJECT_CONFIG_FORMAT, storage: "lighthouse", lighthouse: { uploadUrl: "http://127.0.0.1:9/up/" } }));

    it("opens the local store for --storage local, whatever the configuration says", () => {
      expect(openStore("local", join(work, "s1"), { config: lighthouseConfig() })).to.be.instanceOf(LocalStore);
    });

    it("opens the configuration's store without --storage, and Lighthouse for --storage lighthouse", () => {
      const config = lighthouseConfig();
      const byConfig = openStore(undefined, join(work, "s2"), { config });
      expect(byConfig).to.be.instanceOf(LighthouseStore);
      expect((byConfig as LighthouseStore).client.endpoints.upload).to.equal("http://127.0.0.1:9/up");
      expect(openStore("lighthouse", join(work, "s3"), { config: loadProjectConfig(null) })).to.be.instanceOf(LighthouseStore);
      expect(openStore(undefined, join(work, "s4"), { config: loadProjectConfig(null) })).to.be.instanceOf(LocalStore);
    });

    it("reads provenant.config.json when no configuration is given", () => {
      process.env.PROVENANT_CONFIG = configFile("env-lh.json", { format: PROJECT_CONFIG_FORMAT, storage: "lighthouse" });
      expect(openStore(undefined, join(work, "s5"))).to.be.instanceOf(LighthouseStore);
    });

    it("refuses a store kind it does not know", () => {
      const e = thrownBy(() => openStore("s3", join(work, "s6"), { config: loadProjectConfig(null) }));
      expect(e.code).to.equal("CONFIG_INVALID");
      expect(e.message).to.equal(`unknown storage "s3": use local or lighthouse`);
      expect(e.hints).to.deep.equal([{ remedy: "storage" }]);
    });
  });
});
