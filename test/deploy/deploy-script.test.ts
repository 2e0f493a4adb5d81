import { expect } from "chai";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider } from "ethers";
import { freePort, REPO } from "../helpers/local-chain.ts";
import { runCli } from "../../scripts/lib/cli.ts";

function deploy(args: string[], env: Record<string, string>, unset: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const k of unset) delete merged[k];
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPO, "scripts", "deploy.ts"), ...args], { cwd: REPO, env: merged }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** `npm run deploy` end to end on a bare local node: the same module and the same kind of parameters file as Calibration. */
describe("npm run deploy on a local node", function () {
  this.timeout(240_000);
  let node: ChildProcess;
  let url: string;
  let deploymentId: string;
  let work: string;

  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    deploymentId = `test-deploy-${port}`;
    node = spawn(join(REPO, "node_modules", ".bin", "hardhat"), ["node", "--hostname", "127.0.0.1", "--port", String(port)], { cwd: REPO, stdio: "ignore" });
    const provider = new JsonRpcProvider(url, 31337, { staticNetwork: true });
    for (let i = 0; ; i++) {
      try {
        await provider.getBlockNumber();
        break;
      } catch {
        if (i > 600) throw new Error("hardhat node did not start");
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    provider.destroy();
    work = mkdtempSync(join(tmpdir(), "provenant-deploy-"));
  });

  after(async () => {
    if (node && node.exitCode === null) {
      const exited = new Promise((r) => node.once("exit", r));
      node.kill("SIGTERM");
      await exited;
    }
    rmSync(join(REPO, "ignition", "deployments", deploymentId ?? "none"), { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("deploys through Ignition, records the addresses where the CLI reads them, and deploys nothing twice", async () => {
    const env = { PROVENANT_RPC_URL: url };
    const first = await deploy(["--network", "localhost", "--deployment-id", deploymentId, "--json"], env);
    expect(first.code, first.stderr).to.equal(0);
    const out = JSON.parse(first.stdout);
    expect(out).to.include({ ok: true, network: "localhost", chainId: 31337, deploymentId });
    expect(out.record).to.equal(join(REPO, "ignition", "deployments", deploymentId, "deployed_addresses.json"));
    const registry = out.addresses["Provenant#DatasetRegistry"];
    expect(registry).to.match(/^0x[0-9a-fA-F]{40}$/);

    const provider = new JsonRpcProvider(url, 31337, { staticNetwork: true });
    expect(await provider.getCode(registry)).to.not.equal("0x");
    const height = await provider.getBlockNumber();
    const again = await deploy(["--network", "localhost", "--deployment-id", deploymentId, "--json"], env);
    expect(again.code, again.stderr).to.equal(0);
    expect(JSON.parse(again.stdout).addresses).to.deep.equal(out.addresses);
    expect(await provider.getBlockNumber(), "a second run sends no transaction").to.equal(height);
    provider.destroy();

    const data = join(work, "data");
    mkdirSync(data);
    writeFileSync(join(data, "a.txt"), "a sample");
    const minted = await runCli(["dataset", "mint", data, "--name", "Deployed", "--license", "CC0-1.0", "--storage", "local"], {
      PROVENANT_RPC_URL: url,
      PROVENANT_DEPLOYMENT_ID: deploymentId,
      PROVENANT_HOME: join(work, "home"),
    });
    expect(minted.code, minted.stderr).to.equal(0);
    expect(minted.json.registry).to.equal(registry);
  });

  it("refuses an RPC URL that serves another chain than the network's, in one line", async () => {
    const r = await deploy(["--network", "filecoinCalibration", "--deployment-id", `${deploymentId}-wrong`], {
      FILECOIN_CALIBRATION_RPC_URL: url,
      FILECOIN_CALIBRATION_PRIVATE_KEY: `0x${"11".repeat(32)}`,
    });
    expect(r.code).to.equal(1);
    expect(r.stderr.trim().split("\n")).to.have.length(1);
    expect(r.stderr).to.match(/^deploy: .*31337/);
  });

  it("names what is missing: the network, or a configuration variable", async () => {
    const none = await deploy([], {});
    expect(none.code).to.equal(1);
    expect(none.stderr).to.match(/--network is required/);
    const unset = await deploy(["--network", "filecoin"], { XDG_CONFIG_HOME: join(work, "no-keystore") }, ["FILECOIN_RPC_URL"]);
    expect(unset.code).to.equal(1);
    expect(unset.stderr.trim().split("\n")).to.have.length(1);
    expect(unset.stderr).to.match(/FILECOIN_RPC_URL.*npx hardhat keystore set FILECOIN_RPC_URL/);
  });
});
