import { Command } from "commander";
import { dataDir, loadProjectConfig } from "../../core/config.ts";
import { openLighthouseStore } from "../store.ts";
import type { FilecoinStatus } from "../../core/storage/filecoin-status.ts";
import { filecoinStatus } from "../../core/storage/filecoin-status.ts";
import { action, withCommonOptions, type CommonOptions } from "../output.ts";

function describe(s: FilecoinStatus, podsiNetwork: string): string {
  const lines = [
    `${s.cid}`,
    `  local store  ${s.local ? "yes" : "no"}`,
    `  uploaded     ${s.uploaded ? `confirmed by Lighthouse on ${s.uploaded.at} (${s.uploaded.bytes} bytes)` : "not from this data directory"}`,
  ];
  if (s.deals.length === 0) {
    lines.push("  deals        none yet: Lighthouse packs uploads into aggregates and makes deals within hours to a day");
  } else {
    lines.push(`  deals        ${s.deals.length} (${s.onChainDeals} published on chain${s.sealed ? ", sealed and proving" : ""})`);
    for (const d of s.deals) {
      const epochs = d.startEpoch !== null && d.endEpoch !== null ? ` epochs ${d.startEpoch}-${d.endEpoch}` : "";
      lines.push(`    ${d.provider ?? "?"}  deal ${d.chainDealId ?? "unpublished"}  ${d.status ?? "?"}${epochs}  piece ${d.pieceCid ?? "?"}`);
    }
  }
  if (!s.podsi || s.podsi.deals.length === 0) {
    lines.push(`  PoDSI        none yet on ${podsiNetwork} (Lighthouse issues it once the aggregate's deal is made)`);
  } else {
    for (const p of s.podsi.deals) {
      const path = p.proofIndex ? `index ${p.proofIndex.index}, ${p.proofIndex.path.length}-node path` : "no inclusion path";
      lines.push(
        `  PoDSI        piece ${s.podsi.pieceCid ?? "?"} in deal ${p.dealId ?? "?"} with provider ${p.storageProvider ?? "?"}: ${path}` +
          (p.verifierData ? `, commPc ${p.verifierData.commPc.slice(0, 18)}...` : ""),
      );
    }
  }
  return lines.join("\n");
}

export function storageCommand(): Command {
  const storage = new Command("storage").description("where stored content stands on Filecoin");
  withCommonOptions(
    storage
      .command("status")
      .description("show the Filecoin deals behind a CID and its proof of data-segment inclusion (PoDSI), from Lighthouse")
      .argument("<cid>", "a CID stored through Lighthouse (a manifest, an index, a shard)"),
  ).action(
    action<CommonOptions>(async ([cid], opts) => {
      const config = loadProjectConfig();
      const store = openLighthouseStore(dataDir(opts.dataDir), config);
      const status = await filecoinStatus(cid, store, config.lighthouse.podsiNetwork);
      return { json: { ok: true, ...status, podsiNetwork: config.lighthouse.podsiNetwork }, text: describe(status, config.lighthouse.podsiNetwork) };
    }),
  );
  return storage;
}
