/**
 * `provenant attestor boot-policy | approve-boot | withdraw-boot`: the boot+pcr23 trust level.
 *
 * boot-policy: a boot policy (provenant-boot-policy-v1) accepting exactly the boot in a known-good event log.
 * approve-boot: the registry owner appraises a running attestor's boot (its event log, boot PCR values and a
 * quote over them with a fresh nonce) against the owner's policy, and approves that boot state on-chain.
 * withdraw-boot: the owner withdraws an approved boot state; certificates quoting it stop being accepted.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { Command } from "commander";
import { dataDir } from "../../core/config.ts";
import { connect } from "../../core/chain/connect.ts";
import { AttestorRegistryClient } from "../../core/chain/attestor-registry.ts";
import { AttestorClient, attestorEndpoint } from "../../core/attestor/client.ts";
import { appraiseBootStateEvidence } from "../../core/attestor/boot-approval.ts";
import { bootPolicyDigest, bootPolicyFromLog, parseBootPolicy } from "../../core/attestor/boot-policy.ts";
import type { BootPolicy } from "../../core/attestor/boot-policy.ts";
import { InputError, ProvenantError } from "../../core/errors.ts";
import { action, withCommonOptions, type CommonOptions } from "../output.ts";

interface BootPolicyOptions extends CommonOptions {
  fromLog: string;
  name: string;
  pcrs?: string;
  out?: string;
}

interface ApproveBootOptions extends CommonOptions {
  service?: string;
  token?: string;
  policy: string;
  attestor?: string;
  approve: boolean;
}

function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new InputError("INPUT_UNREADABLE", `cannot read ${what} ${path}`, { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError("CONFIG_INVALID", `${what} ${path} is not JSON`, { cause: e });
  }
}

export function loadBootPolicyFile(path: string): BootPolicy {
  return parseBootPolicy(readJsonFile(path, "boot policy"));
}

/** "0-7,9" -> [0..7, 9]. */
function parsePcrList(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new InputError("INPUT_INVALID", `--pcrs must be like 0-7,9, got "${spec}"`);
    for (let p = Number(m[1]); p <= Number(m[2] ?? m[1]); p++) out.push(p);
  }
  return out;
}

const address = (v: string, what: string) => {
  if (!/^0x[0-9a-fA-F]{40}$/.test(v)) throw new InputError("INPUT_INVALID", `${what} must be an address (0x and 40 hex digits), got "${v}"`);
  return v;
};

export function addBootCommands(attestor: Command): void {
  withCommonOptions(
    attestor
      .command("boot-policy")
      .description("make a boot policy accepting exactly the boot in a known-good event log (review it before use)")
      .requiredOption("--from-log <file>", "a binary_bios_measurements file of a machine booted as it should")
      .requiredOption("--name <name>", "the policy's name, e.g. debian-12-shim-15.8")
      .option("--pcrs <list>", "boot PCRs to quote (0-7 always; e.g. 0-9 adds grub's PCRs 8 and 9)")
      .option("--out <file>", "write the policy here (default: print it)"),
  ).action(
    action<BootPolicyOptions>(async (_args, opts) => {
      let log: Uint8Array;
      try {
        log = new Uint8Array(readFileSync(opts.fromLog));
      } catch (e) {
        throw new InputError("INPUT_UNREADABLE", `cannot read ${opts.fromLog}`, { cause: e });
      }
      const policy = bootPolicyFromLog(log, opts.name, opts.pcrs ? parsePcrList(opts.pcrs) : undefined);
      const text = `${JSON.stringify(policy, null, 2)}\n`;
      if (opts.out) writeFileSync(opts.out, text);
      return {
        json: { ok: true, policy, policyDigest: bootPolicyDigest(policy), ...(opts.out ? { out: opts.out } : {}) },
        text: opts.out
          ? `wrote boot policy "${policy.name}" (${bootPolicyDigest(policy)}) to ${opts.out}: Secure Boot ${policy.secureBoot ? "on" : "off"}, PCRs ${policy.pcrs.join(", ")}, ${policy.kernels.length} boot chain(s)`
          : text.trimEnd(),
      };
    }),
  );

  withCommonOptions(
    attestor
      .command("approve-boot")
      .description("appraise a running attestor's boot against your boot policy and approve its boot state on-chain (registry owner)")
      .requiredOption("--policy <file>", "your boot policy (provenant-boot-policy-v1); the attestor must run with the same")
      .option("--service <url>", "the attestor service (default: the local one)")
      .option("--token <token>", "the service's token")
      .option("--attestor <address>", "the attestor's address (default: ask the service)")
      .option("--no-approve", "appraise only; send no transaction"),
  ).action(
    action<ApproveBootOptions>(async (_args, opts) => {
      const policy = loadBootPolicyFile(opts.policy);
      const client = new AttestorClient(attestorEndpoint(dataDir(opts.dataDir), { url: opts.service, token: opts.token }));
      const conn = await connect(opts.network);
      const registry = await AttestorRegistryClient.connect(conn);
      let who = opts.attestor ? address(opts.attestor, "--attestor") : undefined;
      if (!who) {
        const health = await client.health();
        who = (health.attestor as { address?: string } | undefined)?.address;
        if (!who) throw new ProvenantError("NOT_ENROLLED", `the attestor at ${client.url} is not enrolled: run provenant attestor enroll first`);
      }
      const record = await registry.attestorOf(who);
      if (!record) throw new ProvenantError("NOT_ENROLLED", `${who} is not a registered attestor in ${registry.address}`);
      const nonce = randomBytes(32);
      const v = appraiseBootStateEvidence({ evidence: await client.bootState(nonce), policy, nonce, attestor: record });
      const lines = [
        `boot state of attestor ${who}, against boot policy "${policy.name}":`,
        ...v.checks.map((c) => `  ${c.ok ? "ok  " : "FAIL"} ${c.name.padEnd(16)} ${c.detail}`),
      ];
      if (!v.ok || !v.approval) {
        return { ok: false, json: { ok: false, attestor: who, checks: v.checks }, text: [...lines, "REFUSED: the boot state was not approved"].join("\n") };
      }
      const a = v.approval;
      if (!opts.approve) {
        return {
          json: { ok: true, attestor: who, checks: v.checks, ...a, approved: false },
          text: [...lines, `appraised boot state ${a.bootState} (not approved: --no-approve)`].join("\n"),
        };
      }
      const tx = await registry.withSigner(await conn.signer()).approveBootState(who, a.bootState, a.pcrSelect, a.policyDigest);
      return {
        json: { ok: true, attestor: who, checks: v.checks, ...a, approved: true, registry: registry.address, ...tx },
        text: [
          ...lines,
          `approved boot state ${a.bootState} (PCRs ${policy.pcrs.join(", ")}) for ${who} in ${registry.address} (tx ${tx.txHash}, ${tx.gasUsed} gas)`,
        ].join("\n"),
      };
    }),
  );

  withCommonOptions(
    attestor
      .command("withdraw-boot")
      .description("withdraw an approved boot state (registry owner): certificates quoting it stop being accepted")
      .argument("<attestor>", "the attestor's address")
      .argument("<bootState>", "the boot state's id (0x and 64 hex digits)"),
  ).action(
    action<CommonOptions>(async ([who, state], opts) => {
      address(who!, "attestor");
      if (!/^0x[0-9a-fA-F]{64}$/.test(state!)) throw new InputError("INPUT_INVALID", `the boot state must be 0x and 64 hex digits, got "${state}"`);
      const conn = await connect(opts.network);
      const registry = (await AttestorRegistryClient.connect(conn)).withSigner(await conn.signer());
      const tx = await registry.withdrawBootState(who!, state!);
      return { json: { ok: true, attestor: who, bootState: state, ...tx }, text: `withdrew boot state ${state} of attestor ${who} (tx ${tx.txHash}, ${tx.gasUsed} gas)` };
    }),
  );
}
