import type { ChainConnection } from "../chain/connect.ts";
import type { CertificateVerdict } from "./lineage-check.ts";
import type { LineageWalk } from "./walk.ts";
import type { ContentStore } from "../storage/store.ts";
import type { TrustedRoot } from "../tpm/enroll.ts";
import { verifyModelCertificate, type ModelCertificateVerification } from "../attestor/model-certificate-check.ts";

/**
 * The certificate check a lineage verification runs on each attested model (verifyLineage's
 * `verifyCertificate`), for `provenant verify model` and the model page alike: every check of
 * verifyModelCertificate against the registries the walk read, as a verdict. `onVerified` receives the whole
 * verification (the app shows it).
 */
export function lineageCertificateCheck(
  src: { conn: ChainConnection; store: ContentStore },
  walk: Pick<LineageWalk, "registries">,
  roots: readonly (TrustedRoot | string)[],
  onVerified?: (tokenId: bigint, v: ModelCertificateVerification) => void,
): (tokenId: bigint) => Promise<CertificateVerdict> {
  return async (tokenId) => {
    const v = await verifyModelCertificate({
      conn: src.conn,
      store: src.store,
      modelId: tokenId.toString(),
      roots,
      addresses: { modelRegistry: walk.registries.model, datasetRegistry: walk.registries.dataset },
    });
    onVerified?.(tokenId, v);
    const attestor = v.certificate?.payload.attestor;
    return {
      ok: v.ok,
      certificateCid: v.certificateCid,
      checks: v.checks,
      ...(attestor ? { attestor: attestor.address, trustLevel: attestor.trustLevel } : {}),
    };
  };
}
