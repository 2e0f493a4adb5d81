/**
 * `provenant attestor enroll | status | revoke`.
 *
 * enroll: the attestor side (EK certificate, AK, enrollment request) and the registry side (EK chain to the
 * configured roots, AK attributes, MakeCredential/ActivateCredential through the attestor) and then the
 * on-chain registration by the registry's owner. The attestor is a local TPM (--tcti) or a running
 * attestor service (--service), which then activates the credential in its TPM.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { dataDir } from "../../core/config.ts";
import { connect } from "../../core/chain/connect.ts";
import { AttestorRegistryClient } from "../../core/chain/attestor-registry.ts";
import { AttestorClient, attestorEndpoint } from "../../core/attestor/client.ts";
import { createEnrollmentRequest, parseEnrollmentRequest, verifyEnrollmentRequest } from "../../core/attestor/enrollment.ts";
import type { EnrollmentRequest, EnrollmentVerification } from "../../core/attestor/enrollment.ts";
import { loadEkRoots } from "../../core/attestor/model-certificate-check.ts";
import { ProvenantError } from "../../core/errors.ts";
import { parseAddress } from "../../core/identifiers.ts";
import { createTpm2ToolsTransport, HARDWARE_TCTI } from "../../core/tpm/transport.ts";
import type { CredentialChallenge } from "../../core/tpm/credential.ts";
import { action, withCommonOptions, type CommonOptions } from "../output.ts";
import { addBootCommands } from "./attestor-boot.ts";

interface EnrollOptions extends CommonOptions {
  tcti?: string;
  stateDir?: string;
  service?: string;
  token?: string;
  address?: string;
  ekRoot: string[];
  ekIntermediate: string[];
  newAk?: boolean;
  requestOut?: string;
  requestOnly?: boolean;
  request?: string;
  register: boolean;
}

interface StatusOptions extends CommonOptions {
  service?: string;
  token?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

function describeChecks(v: EnrollmentVerification): string[] {
  return v.checks.map((c) => `  ${c.ok ? "ok  " : "FAIL"} ${c.name.padEnd(22)} ${c.detail}`);
}

export function attestorCommand(): Command {
  const attestor = new Command("attestor").description("enroll, inspect and revoke TPM attestors");

  withCommonOptions(
    attestor
      .command("enroll")
      .description("enroll a TPM as an attestor: EK chain, AK checks, credential activation, on-chain registration")
      .option("--tcti <tcti>", `the TPM to enroll (default $PROVENANT_TPM_TCTI, $TPM2TOOLS_TCTI or ${HARDWARE_TCTI})`)
      .option("--state-dir <dir>", "where the attestor keeps its AK record (default <data dir>/attestor)")
      .option("--service <url>", "enroll the TPM of a running attestor service instead of a local TPM")
      .option("--token <token>", "the service's token (default $PROVENANT_ATTESTOR_TOKEN or <state dir>/token)")
      .option("--address <address>", "the attestor's address on-chain (default: the signing account)")
      .option("--ek-root <pem>", "trusted EK root CA certificate (repeatable; default $PROVENANT_EK_ROOTS)", collect, [])
      .option("--ek-intermediate <pem>", "intermediate CA certificate of the EK certificate (repeatable; default $PROVENANT_EK_INTERMEDIATES)", collect, [])
      .option("--new-ak", "create a new AK even if the TPM has one")
      .option("--request-out <file>", "also write the enrollment request to this file")
      .option("--request-only", "attestor side only: write the enrollment request (with --request-out) and stop")
      .option("--request <file>", "registry side only: verify this enrollment request (activation through --service or --tcti)")
      .option("--no-register", "verify the enrollment but do not register the attestor on-chain"),
  ).action(
    action<EnrollOptions>(async (_args, opts) => {
      const home = dataDir(opts.dataDir);
      const intermediatePaths = opts.ekIntermediate.length ? opts.ekIntermediate : (process.env.PROVENANT_EK_INTERMEDIATES ?? "").split(":").filter(Boolean);
      const intermediates = intermediatePaths.map((p) => readFileSync(p, "utf8"));
      const service = opts.service ? new AttestorClient(attestorEndpoint(home, { url: opts.service, token: opts.token })) : undefined;
      const tpm = service
        ? undefined
        : createTpm2ToolsTransport({
            tcti: opts.tcti ?? process.env.PROVENANT_TPM_TCTI ?? process.env.TPM2TOOLS_TCTI ?? HARDWARE_TCTI,
            stateDir: opts.stateDir ?? process.env.PROVENANT_ATTESTOR_STATE ?? join(home, "attestor"),
          });
      const needChain = !opts.requestOnly || !opts.address;
      const conn = needChain ? await connect(opts.network) : undefined;
      const signer = conn ? await conn.signer() : undefined;
      const address = opts.address !== undefined ? parseAddress(opts.address, "--address") : await signer!.getAddress();

      // Attestor side.
      let request: EnrollmentRequest;
      let akCreated = false;
      if (opts.request) {
        request = parseEnrollmentRequest(JSON.parse(readFileSync(opts.request, "utf8")));
      } else if (service) {
        request = await service.enrollmentRequest(address, opts.newAk);
      } else {
        const made = await createEnrollmentRequest(tpm!, { address, ekIntermediates: intermediates, newAk: opts.newAk });
        request = made.request;
        akCreated = made.created;
      }
      if (opts.requestOut) writeFileSync(opts.requestOut, `${JSON.stringify(request, null, 2)}\n`);
      if (opts.requestOnly) {
        return {
          json: { ok: true, request, akCreated },
          text: `enrollment request for ${request.address} (AK ${request.akName})${opts.requestOut ? ` written to ${opts.requestOut}` : ""}`,
        };
      }

      // Registry side.
      const roots = loadEkRoots(opts.ekRoot);
      if (roots.length === 0) throw new ProvenantError("CONFIG_INVALID", "no EK root certificates: pass --ek-root (or set PROVENANT_EK_ROOTS)");
      const activate = (c: CredentialChallenge) => (service ? service.activateCredential(c) : tpm!.activateCredential(c.credentialBlob, c.encryptedSecret));
      const v = await verifyEnrollmentRequest(request, { roots, intermediates, activate });
      const lines = [`enrollment of ${request.address} (AK ${request.akName}):`, ...describeChecks(v)];
      if (!v.ok || !v.registration) {
        return { ok: false, json: { ok: false, checks: v.checks }, text: [...lines, "REFUSED: the attestor was not registered"].join("\n") };
      }
      if (!opts.register) {
        return {
          json: { ok: true, checks: v.checks, registration: v.registration, registered: false },
          text: [...lines, "verified (not registered: --no-register)"].join("\n"),
        };
      }
      const registry = (await AttestorRegistryClient.connect(conn!)).withSigner(signer!);
      const tx = await registry.register(v.registration);
      return {
        json: { ok: true, checks: v.checks, registration: v.registration, registered: true, registry: registry.address, chainId: conn!.chainId, ...tx },
        text: [
          ...lines,
          `registered attestor ${v.registration.attestor} (${v.registration.kind} TPM) in ${registry.address} on chain ${conn!.chainId} (tx ${tx.txHash}, ${tx.gasUsed} gas)`,
        ].join("\n"),
      };
    }),
  );

  withCommonOptions(
    attestor
      .command("status")
      .description("an attestor's on-chain record, or a running service's identity and health")
      .argument("[address]", "the attestor's address (default: ask the service)")
      .option("--service <url>", "the attestor service (default: the local one)")
      .option("--token <token>", "the service's token"),
  ).action(
    action<StatusOptions>(async ([address], opts) => {
      const conn = await connect(opts.network);
      const registry = await AttestorRegistryClient.connect(conn);
      let health: Record<string, unknown> | undefined;
      let who: string | undefined = address !== undefined ? parseAddress(address, "the address") : undefined;
      if (!who) {
        const client = new AttestorClient(attestorEndpoint(dataDir(opts.dataDir), { url: opts.service, token: opts.token }));
        health = await client.health();
        const a = health.attestor as { address?: string } | undefined;
        who = a?.address;
        if (!who) {
          return { ok: false, json: { ok: false, health }, text: `the attestor at ${client.url} is not enrolled: ${JSON.stringify(a ?? health)}` };
        }
      }
      const record = await registry.attestorOf(who);
      if (!record) return { ok: false, json: { ok: false, address: who, registered: false }, text: `${who} is not a registered attestor in ${registry.address}` };
      const active = record.revokedAt === 0;
      const bootStateRequired = await registry.requiresBootState(who);
      return {
        ok: active,
        json: { ok: active, address: who, registry: registry.address, ...record, bootStateRequired, ...(health ? { health } : {}) },
        text: [
          `attestor ${who}: ${active ? "active" : `REVOKED at ${new Date(record.revokedAt * 1000).toISOString()}`} (${record.kind} TPM)`,
          `  registered   ${new Date(record.registeredAt * 1000).toISOString()} in ${registry.address}`,
          `  AK           (${record.akX}, ${record.akY})`,
          `  AK QN        000b${record.akQualifiedName.slice(2)}`,
          `  EK cert hash ${record.ekCertificateHash}`,
          `  level        ${bootStateRequired ? "boot+pcr23 (its quotes must cover an approved boot state)" : "pcr23 (no boot state approved)"}`,
          ...(health ? [`  service      tpm ${JSON.stringify(health.tpm)} queue ${JSON.stringify(health.queue)}`] : []),
        ].join("\n"),
      };
    }),
  );

  withCommonOptions(
    attestor
      .command("revoke")
      .description("revoke an attestor (registry owner only): its certificates stop being accepted")
      .argument("<address>", "the attestor's address"),
  ).action(
    action<CommonOptions>(async ([address], opts) => {
      const who = parseAddress(address, "the address");
      const conn = await connect(opts.network);
      const registry = (await AttestorRegistryClient.connect(conn)).withSigner(await conn.signer());
      const tx = await registry.revoke(who);
      return { json: { ok: true, address: who, ...tx }, text: `revoked attestor ${who} (tx ${tx.txHash}, ${tx.gasUsed} gas)` };
    }),
  );

  addBootCommands(attestor);
  return attestor;
}
