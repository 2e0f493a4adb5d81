// `npm run demo` end to end, as a user runs it (scripts/demo.ts in a child process), on a free port, a
// temporary data dir and its own Ignition deployment id, exiting at the end (PROVENANT_DEMO_EXIT=1).
import { expect } from "chai";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, REPO } from "./helpers/local-chain.ts";
import { ensureTpmToolsInstalled } from "./tpm/helpers.ts";

describe("npm run demo", function () {
  this.timeout(900_000);
  let work: string;
  let deploymentId: string;
  let port: number;
  let run: { code: number; stdout: string; stderr: string };

  before(async function () {
    ensureTpmToolsInstalled();
    work = mkdtempSync(join(tmpdir(), "provenant-demo-"));
    port = await freePort();
    deploymentId = `test-demo-${port}`;
    run = await new Promise((resolve) => {
      execFile(
        process.execPath,
        [join(REPO, "scripts", "demo.ts")],
        {
          cwd: REPO,
          env: {
            ...process.env,
            PROVENANT_DEMO_HOME: join(work, "home"),
            PROVENANT_DEMO_PORT: String(port),
            PROVENANT_DEMO_DEPLOYMENT: deploymentId,
            PROVENANT_DEMO_EXIT: "1",
          },
          maxBuffer: 64 << 20,
        },
        (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  });

  after(function () {
    if (deploymentId) rmSync(join(REPO, "ignition", "deployments", deploymentId), { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const output = () => `${run.stdout}\n${run.stderr}`;

  it("runs to the end and exits 0, using the data dir and deployment it was given", function () {
    expect(run.code, output()).to.equal(0);
    expect(run.stdout).to.contain(`chain http://127.0.0.1:${port}, deployment ${deploymentId}, data in ${join(work, "home")}`);
    expect(existsSync(join(work, "home", "mnist-png", "7", "7-0042.png"))).to.equal(true);
    expect(run.stdout).to.not.match(/FAIL|INVALID/);
  });

  it("mints the digits as a dataset and proves one digit in and an altered one out, both valid on-chain", function () {
    expect(run.stdout).to.match(/^minted dataset #1 as the publisher: 10000 samples hashed in /m);
    expect(run.stdout).to.match(/^proved .*7-0042\.png IN \(leaf \d+ of 10000, \d+ siblings\): contract says valid$/m);
    expect(run.stdout).to.match(/^proved the same digit with one pixel altered OUT \(.+\): contract says valid$/m);
    expect(run.stdout).to.match(/^re-checked the saved proof .*proof-in\.json: valid \(library and contract\)$/m);
  });

  it("ships the same digits as WebDataset shards and a Hugging Face Parquet table, minted and proven in and out", function () {
    expect(run.stdout).to.match(/^minted dataset #3 \(webdataset\): 10000 samples from 4 shards in /m);
    expect(run.stdout).to.match(/^proved WebDataset sample 7-0042 \(its files 7-0042\.png and 7-0042\.cls\) IN \(leaf \d+ of 10000\): contract says valid$/m);
    expect(run.stdout).to.match(/^minted dataset #4 \(parquet, split test\): 10000 rows from 10 row groups in /m);
    expect(run.stdout).to.match(/^proved row \d+ of .*test-00000-of-00001\.parquet \(digit 7-0042\) IN \(leaf \d+ of 10000\): contract says valid$/m);
    expect(run.stdout).to.match(/^proved the same row labelled 1 \(--row-json\) OUT \(.+\): contract says valid$/m);
    // The PNG's leaf in the folder dataset is the png member's digest in the WebDataset, said with both values.
    const m =
      /^same samples, same leaves\? 7-0042\.png is leaf (0x[0-9a-f]{16})… of dataset #1 \(files\); its png member in the WebDataset has that same digest \((0x[0-9a-f]{16})…\)/m.exec(
        run.stdout,
      );
    expect(m, run.stdout).to.not.equal(null);
    expect(m![2]).to.equal(m![1]);
  });

  it("names four parties with four keys, and the models' registrant is neither the attestor nor the owner", function () {
    const who = Object.fromEntries(
      ["registry owner", "attestor", "publisher", "registrant"].map((role) => [role, new RegExp(`^ {2}${role} +(0x[0-9a-fA-F]{40}) `, "m").exec(run.stdout)?.[1]]),
    );
    expect(Object.values(who).every(Boolean), run.stdout).to.equal(true);
    expect(new Set(Object.values(who)).size).to.equal(4);
    expect(run.stdout).to.contain(`enrolled attestor ${who.attestor}:`);
  });

  it("boots the software TPM with a synthetic UEFI log, says so, and has the owner approve that boot state", function () {
    expect(run.stdout).to.match(/"booted" a SYNTHETIC UEFI event log/);
    expect(run.stdout).to.match(
      /^approved its boot state 0x[0-9a-f]{64} \(PCRs 0-7 of the synthetic boot\): \d+ checks against boot policy "synthetic-debian-12" passed/m,
    );
  });

  it("enrolls a software-TPM attestor and registers both generations as attested models with their lineage", function () {
    expect(run.stdout).to.match(/^enrolled attestor 0x[0-9a-fA-F]{40}: .*\(10 checks passed\); registered on-chain/m);
    expect(run.stdout).to.match(/^trained mnist-mlp 1\.0\.0 under the attestor on dataset #1: .*training accuracy \d+\.\d%$/m);
    expect(run.stdout).to.match(/^ {2}registered attested model #1 with its certificate \(ipfs:\/\/b[a-z2-7]+\) in one transaction: \d+ gas$/m);
    expect(run.stdout).to.match(/^minted dataset #2 "MNIST 3\/5\/8" as the publisher: \d+ samples/m);
    expect(run.stdout).to.match(/^fine-tuned mnist-mlp-358 1\.1\.0 from #1 under the attestor on dataset #2: /m);
    expect(run.stdout).to.match(/^ {2}registered attested model #2 \(finetune of #1\) with its certificate in one transaction: \d+ gas$/m);
    // Trained once each: the attested runs are the only training in the demo.
    expect(run.stdout.match(/^(trained|fine-tuned) .* under the attestor /gm)).to.have.length(2);
  });

  it("prints the lineage tree of the child: both models attested, each with its dataset edge", function () {
    const tree = run.stdout.slice(run.stdout.indexOf("$ provenant lineage 2"), run.stdout.indexOf("$ provenant verify model"));
    expect(tree).to.match(/model #2 mnist-mlp-358 1\.1\.0 \[attested\]/);
    expect(tree).to.match(/├── finetune of model #1 mnist-mlp 1\.0\.0 \[attested\]/);
    expect(tree).to.match(/│ {3}└── training: dataset #1 MNIST 10k \(10000 samples/);
    expect(tree).to.match(/└── fine-tuning: dataset #2 MNIST 3\/5\/8/);
  });

  it("verifies the child end to end, both training certificates included, with every check passing", function () {
    const verify = run.stdout.slice(run.stdout.indexOf("$ provenant verify model 2"));
    expect(verify).to.match(/model #2 mnist-mlp-358 1\.1\.0 \[attested\] ✓/);
    expect(verify).to.match(/finetune of model #1 mnist-mlp 1\.0\.0 \[attested\] ✓/);
    const certificates =
      verify.match(
        /✓ training certificate ipfs:\/\/b[a-z2-7]+ \(software-tpm-boot\+pcr23: software TPM with a boot log, for development and demos only\): (\d+) checks passed/g,
      ) ?? [];
    expect(certificates).to.have.length(2);
    expect(verify).to.match(/dataset #1 MNIST 10k \(10000 samples\) ✓/);
    expect(verify).to.match(/dataset #2 MNIST 3\/5\/8 \(\d+ samples\) ✓/);
    expect(verify).to.match(/weights on disk: .*mnist-mlp-358 hashes to 0x[0-9a-f]{64}/);
    expect(verify).to.match(/VERIFIED: \d+ check\(s\) passed, 0 failed, 0 skipped/);
  });

  it("evaluates both generations under the attestor on the MNIST test digits, and verify model shows the attested accuracies", function () {
    for (const [id, name] of [
      ["1", "mnist-mlp 1\\.0\\.0"],
      ["2", "mnist-mlp-358 1\\.1\\.0"],
    ]) {
      expect(run.stdout).to.match(
        new RegExp(`^attested evaluation of ${name} \\(model #${id}\\) on dataset #1: accuracy \\d+\\.\\d\\d%, accuracy \\d+\\.\\d\\d% on digits 3/5/8 `, "m"),
      );
      expect(run.stdout).to.match(
        new RegExp(
          `^ {2}registered attested evaluation #${id} \\(model #${id}, dataset #1, the metrics' SHA-256\\) with its certificate in one transaction: \\d+ gas$`,
          "m",
        ),
      );
    }
    const verify = run.stdout.slice(run.stdout.indexOf("$ provenant verify model 2"));
    const attested =
      verify.match(
        /✓ attested evaluation #\d: accuracy 0\.\d+ \(test\), accuracy 0\.\d+ \(test, digits 3\/5\/8\) on dataset #1 MNIST 10k \(software-tpm-boot\+pcr23\)/g,
      ) ?? [];
    expect(attested).to.have.length(2);
  });
});
