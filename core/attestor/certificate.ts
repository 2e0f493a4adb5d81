/**
 * Training certificates, format `provenant-training-certificate-v1` (docs/formats/training-certificate-v1.md):
 * the types, the trust levels, the digests (the certificate's: SHA-256 of the payload's RFC 8785 canonical
 * JSON, the nonce of the quote) and the bytes a certificate is stored as. Its strict loader is
 * certificate-loader.ts; what the contracts take, certificate-onchain.ts.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import type { DatasetRole, ParentRelation } from "../chain/roles.ts";
import type { TpmKindName } from "../chain/attestor-registry.ts";
import { bytesToHex } from "../hex.ts";
import { canonicalJsonBytes } from "./canonical-json.ts";
import type { CertificateBoot } from "./boot-state.ts";
import type { SkippedEntry } from "../dataset/skipped.ts";
import type { Address, Hex32, TrainingEvent } from "./pcr-events.ts";

export const CERTIFICATE_FORMAT = "provenant-training-certificate-v1";

/** A certificate is tens of KiB (EK certificate, two quotes, the event log); readers take no more than this. */
export const MAX_CERTIFICATE_BYTES = 16 * 1024 * 1024;

/** What a certificate's quote is worth; see docs/attestor.md "Trust levels". */
export const TRUST_LEVELS = {
  software: "software-tpm-pcr23",
  hardware: "hardware-tpm-pcr23",
} as const;

/** The levels of a certificate whose quote also covers an approved, appraised boot state (its `boot` section). */
export const BOOT_TRUST_LEVELS = {
  software: "software-tpm-boot+pcr23",
  hardware: "hardware-tpm-boot+pcr23",
} as const;

export type TrustLevel = (typeof TRUST_LEVELS)[TpmKindName] | (typeof BOOT_TRUST_LEVELS)[TpmKindName];

/** The trust level of a certificate from a TPM of this kind, with or without a boot state. */
export function trustLevelOf(kind: TpmKindName, boot: boolean): TrustLevel {
  return (boot ? BOOT_TRUST_LEVELS : TRUST_LEVELS)[kind];
}

export type TrustLevelDescription = {
  /** A few words, for a line of output or a badge. */
  summary: string;
  /** What a user may and may not conclude, in plain words. */
  meaning: string;
};

/**
 * Each trust level in words a user understands: the one description the CLI, the dApp and the exports show.
 * The pcr23 levels quote PCR 23 alone, so they say nothing about how the attestor's machine booted or what it
 * runs; the boot+pcr23 levels also quote the boot PCRs, whose event log was appraised against a boot policy
 * and whose values the registry owner approved (docs/attestor.md "Trust levels").
 */
export const TRUST_LEVEL_DESCRIPTIONS: Readonly<Record<TrustLevel, TrustLevelDescription>> = {
  "software-tpm-pcr23": {
    summary: "software TPM, for development and demos only",
    meaning:
      "It covers the training process only; the machine's boot state is not attested. A software TPM recorded this run: its keys are files on the attestor's machine, so whoever runs that machine could have made this certificate for a run that never happened. It shows the pipeline works, not that the model was trained this way.",
  },
  "hardware-tpm-pcr23": {
    summary: "hardware TPM, machine state not checked",
    meaning:
      "It covers the training process only; the machine's boot state is not attested. A hardware TPM recorded these inputs and outputs, but not how the attestor's machine booted or what software it ran. Whoever controls that machine could have made this certificate for a run that never happened: it is worth as much as your trust in the attestor's operator.",
  },
  "software-tpm-boot+pcr23": {
    summary: "software TPM with a boot log, for development and demos only",
    meaning:
      "A software TPM recorded this run and a boot event log that passed its boot policy, and the registry owner approved that boot state. But a software TPM has no firmware: its boot PCRs hold whatever a process extended into them (in the demo, a synthetic log), and its keys are files on the attestor's machine. It shows the boot-state pipeline works, not that the machine booted that way or that the model was trained this way.",
  },
  "hardware-tpm-boot+pcr23": {
    summary: "hardware TPM, boot state appraised and approved",
    meaning:
      "A hardware TPM recorded these inputs and outputs together with the machine's measured boot: the firmware, the Secure Boot state and keys, the boot loader and the kernel passed the boot policy named in the certificate, and the registry owner approved that boot state for this attestor. It does not cover what ran after the kernel started (no IMA): a kernel that allows root to misuse the TPM or the attestor's key would still let its operator make a certificate for a run that never happened.",
  },
};

/** The description of a certificate's trust level; an unknown level is described as worth nothing. */
export function describeTrustLevel(level: string | null | undefined): TrustLevelDescription {
  return (
    (TRUST_LEVEL_DESCRIPTIONS as Record<string, TrustLevelDescription>)[level ?? ""] ?? {
      summary: "unknown trust level",
      meaning: `The trust level ${JSON.stringify(level ?? null)} is not one this verifier knows: treat the certificate as unverified.`,
    }
  );
}

export type CertificateAttestor = {
  address: Address;
  tpmKind: TpmKindName;
  trustLevel: TrustLevel;
  /** EK certificate, DER, base64. */
  ekCertificate: string;
  ekCertificateSha256: Hex32;
  /** Intermediate CA certificates (PEM) between the EK certificate and a root. Roots are the verifier's own. */
  ekIntermediates: string[];
  /** The AK's TPM2B_PUBLIC, hex. */
  akPublic: string;
  /** nameAlg ‖ SHA-256(TPMT_PUBLIC), hex (34 bytes). */
  akName: string;
  /** nameAlg ‖ SHA-256(QN(EK) ‖ Name(AK)), hex (34 bytes): the quotes' qualifiedSigner. */
  akQualifiedName: string;
};

export type QuoteBytes = {
  /** TPMS_ATTEST, hex. */
  attest: string;
  /** TPMT_SIGNATURE as the TPM returned it (s not normalised), hex. */
  signature: string;
};

export type CertificateRun = {
  /** Random 32 bytes chosen by the attestor; bound into the run event; the start quote's nonce. */
  id: Hex32;
  /** The account that registers the model (bound into the run event). */
  registrant: Address;
  startedAt: string;
  finishedAt: string;
  /** Wall time of the training command. */
  durationMs: number;
  exitCode: number;
  /** SHA-256 of the command's stdout and stderr as streamed, in arrival order. */
  outputLogSha256: Hex32;
  /** A quote over PCR 23 right after the run event, nonce = run id: the TPM clock and counters at the start. */
  startQuote: QuoteBytes;
};

export type CertificateDataset = {
  datasetId: string;
  role: DatasetRole;
  root: Hex32;
  n: number;
  encoding: string;
  /**
   * Entries of the measured folder that are not samples (so not under `root`) and that the run request
   * accepted; absent when there were none. The training command could read them.
   */
  acceptedSkips?: SkippedEntry[];
};

export type CertificateParent = {
  modelId: string;
  relation: ParentRelation;
  weightsDigest: Hex32;
};

export type CertificateCode = {
  kind: "git" | "directory";
  /** provenant-code-v1 digest: SHA-256 of the sorted `sha256sum`-style file list. */
  digest: Hex32;
  files: number;
  /** HEAD commit when kind is git. */
  gitCommit: string | null;
};

export type CertificateCommand = { argv: string[]; digest: Hex32 };
export type CertificateConfig = { files: { name: string; sha256: string }[]; digest: Hex32 };
/** A variable recorded without its value: SHA-256 of the UTF-8 string `<salt>:<value>` (both hex, no 0x). */
export type CertificateSecret = { salt: string; sha256: string };

export type CertificateEnvironment = {
  /** The environment the command ran with, except the secrets. */
  variables: Record<string, string>;
  /** The rest of it: variables passed as secrets, by name, value hashed with a random salt. Absent when none. */
  secrets?: Record<string, CertificateSecret>;
  platform: string;
  arch: string;
  digest: Hex32;
};

export type CertificateInputs = {
  datasets: CertificateDataset[];
  parents: CertificateParent[];
  code: CertificateCode;
  command: CertificateCommand;
  config: CertificateConfig;
  environment: CertificateEnvironment;
};

export type CertificateOutputs = {
  /** Root of the output's model manifest: the new model's weights digest. */
  weightsDigest: Hex32;
  manifestCid: string;
  files: number;
  license: string;
};

export type CertificateChain = {
  chainId: number;
  attestorRegistry: Address;
  modelRegistry: Address;
  datasetRegistry: Address;
};

export type TrainingCertificatePayload = {
  chain: CertificateChain;
  attestor: CertificateAttestor;
  run: CertificateRun;
  inputs: CertificateInputs;
  outputs: CertificateOutputs;
  eventLog: TrainingEvent[];
  /** The boot state the final quote also covers; present exactly at the boot+pcr23 trust levels. */
  boot?: CertificateBoot;
};

export type TrainingCertificate = {
  format: typeof CERTIFICATE_FORMAT;
  payload: TrainingCertificatePayload;
  /** SHA-256 of the payload's canonical JSON, 0x-hex: the quote's nonce and the on-chain certificateDigest. */
  certificateDigest: Hex32;
  /** The quote over PCR 23 after the last event (and the boot PCRs before it, with a boot section). */
  quote: QuoteBytes & { pcrs: number[] };
};

export function sha256Hex32(bytes: Uint8Array): Hex32 {
  return `0x${bytesToHex(sha256(bytes))}`;
}

/** SHA-256 of the canonical JSON of a value (the digests of command, config and environment, minus their digest field). */
export function canonicalDigest(value: unknown): Hex32 {
  return sha256Hex32(canonicalJsonBytes(value));
}

export function computeCertificateDigest(payload: TrainingCertificatePayload): Hex32 {
  return canonicalDigest(payload);
}

/** The digest fields of command, config and environment, recomputed from their contents. */
export function commandDigestOf(c: Pick<CertificateCommand, "argv">): Hex32 {
  return canonicalDigest({ argv: c.argv });
}
export function configDigestOf(c: Pick<CertificateConfig, "files">): Hex32 {
  return canonicalDigest({ files: c.files });
}
export function environmentDigestOf(e: Omit<CertificateEnvironment, "digest">): Hex32 {
  return canonicalDigest({ variables: e.variables, ...(e.secrets ? { secrets: e.secrets } : {}), platform: e.platform, arch: e.arch });
}

/**
 * How a secret variable is recorded: SHA-256 of `<salt>:<value>`, hex. Whoever knows the value can check it
 * (`printf '%s:%s' "$salt" "$VALUE" | sha256sum`); whoever does not learns nothing but what guessing gives.
 */
export function secretEnvDigest(salt: string, value: string): string {
  return bytesToHex(sha256(new TextEncoder().encode(`${salt}:${value}`)));
}

/** The bytes a certificate is stored as: pretty JSON with a final newline (its CID is over these bytes). */
export function encodeCertificate(c: TrainingCertificate): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(c, null, 2)}\n`);
}
