import type { Metadata } from "next";
import { Notice } from "../_components/notice.tsx";
import { toTrouble } from "../_lib/errors.ts";
import { chainName } from "../../core/chain/networks.ts";
import { appChain } from "../_lib/server/chain.ts";
import { appConfig } from "../_lib/server/config.ts";
import { MintForm } from "./_components/mint-form.tsx";
import styles from "./mint.module.css";

export const metadata: Metadata = { title: "Mint a dataset" };

export default async function MintPage() {
  let chain;
  try {
    chain = await appChain();
  } catch (e) {
    return (
      <div className="container">
        <h1>Mint a dataset</h1>
        <Notice trouble={toTrouble(e)} />
      </div>
    );
  }
  return (
    <div className="container">
      <h1>Mint a dataset</h1>
      <p className="muted" style={{ maxWidth: 760 }}>
        Pick a folder (every file is a sample), a JSONL or CSV file (every record is a sample), WebDataset .tar shards (every key is a sample) or Parquet files, one or a
        Hugging Face folder with data/*.parquet (every row is a sample). Your browser hashes the samples and builds the Merkle commitment; the app&apos;s server checks it
        and stores the shards, index and manifest; your wallet mints the dataset token on {chainName(chain.chainId)}. The samples themselves are never uploaded: only
        their hashes.
      </p>
      <div className={styles.layout}>
        <MintForm chainId={chain.chainId} registry={chain.registry.address} tokenRequired={appConfig().writeToken !== null} />
        <aside className={styles.aside} aria-label="What goes where">
          <h3>What goes where</h3>
          <dl>
            <dt>Stays in your browser</dt>
            <dd>The samples themselves: files, records, shards and rows are read and hashed here, by the same rules as the CLI.</dd>
            <dt>Sent to the app&apos;s server</dt>
            <dd>
              The sorted 32-byte sample hashes, the root, the counts and the name, license and description. The server recomputes the root before it stores anything.
            </dd>
            <dt>Stored (IPFS)</dt>
            <dd>Shards of 65,536 hashes, the shard index and the manifest, each addressed by its CID.</dd>
            <dt>On-chain</dt>
            <dd>Root, sample counts, encoding, license and the manifest&apos;s CID, in a dataset token you own.</dd>
          </dl>
          <p className="muted small">
            Big datasets: <code>provenant dataset mint &lt;path&gt;</code> streams any size from a terminal.
          </p>
        </aside>
      </div>
    </div>
  );
}
