import { isProvenantError, type ProvenantErrorCode } from "../../core/errors.ts";

/**
 * The errors people meet, in plain words: what happened, and what to do about it.
 * Server pages render these instead of throwing (production builds hide thrown messages), and client
 * components show them next to the control that failed.
 */
export interface Trouble {
  code: ProvenantErrorCode | AppTroubleCode | "INTERNAL";
  title: string;
  detail: string;
  hint?: string;
}

export type AppTroubleCode = "NO_WALLET" | "WRONG_NETWORK" | "FILE_TOO_BIG" | "WALLET_REJECTED";

const TITLES: Partial<Record<Trouble["code"], { title: string; hint?: string }>> = {
  CHAIN_UNREACHABLE: {
    title: "The chain does not answer",
    hint: "Start a local chain with npm run chain, or point PROVENANT_RPC_URL at a JSON-RPC node.",
  },
  CHAIN_NOT_DEPLOYED: {
    title: "Provenant is not deployed on this chain",
    hint: "npm run chain deploys it locally; for another network deploy with Ignition and set PROVENANT_DEPLOYMENT_ID if you used a custom id.",
  },
  TOKEN_NOT_FOUND: { title: "Token not found", hint: "Check the number: token ids start at 1." },
  STORAGE_UNREACHABLE: {
    title: "Storage unreachable",
    hint: "Start the gateway with provenant serve (it serves the local store on port 8080), or set PROVENANT_GATEWAY_URL.",
  },
  STORAGE_NOT_FOUND: {
    title: "Not in storage",
    hint: "The gateway does not hold this content: it was stored elsewhere, or not pinned any more.",
  },
  STORAGE_CORRUPT: { title: "Storage sent the wrong bytes", hint: "The content does not hash to its CID; try another gateway." },
  MANIFEST_INVALID: { title: "The manifest cannot be read" },
  ROOT_MISMATCH: { title: "Storage and chain disagree", hint: "The stored commitment is not the one recorded on-chain: do not trust it." },
  INPUT_INVALID: { title: "That input is not valid" },
  PROOF_INVALID: { title: "Not a valid proof" },
  DATASET_EMPTY: { title: "Nothing to hash", hint: "A dataset needs at least one sample." },
  TX_REVERTED: { title: "The transaction failed" },
  MINT_CONFLICT: {
    title: "Already minted with other details",
    hint: "Your address minted this root before with another name, license or sample count; that token keeps them.",
  },
  DATASET_MISORDERED: {
    title: "Dataset misordered",
    hint: "Its leaves were proven out of order on-chain: inclusion proofs still hold, exclusion proofs mean nothing.",
  },
  NO_WALLET: {
    title: "No wallet found",
    hint: "Install a browser wallet (MetaMask, Rabby, Frame…) and reload, or mint from a terminal with provenant dataset mint.",
  },
  WRONG_NETWORK: { title: "Wrong network" },
  FILE_TOO_BIG: { title: "Too big for the browser" },
  WALLET_REJECTED: { title: "Cancelled in the wallet", hint: "Nothing was sent. Try again when ready." },
};

export function trouble(code: Trouble["code"], detail: string, hint?: string): Trouble {
  const known = TITLES[code];
  return { code, title: known?.title ?? "Something went wrong", detail, hint: hint ?? known?.hint };
}

type WalletError = { code?: unknown; info?: { error?: { code?: number } }; shortMessage?: string; message?: string } | null;

const declinedInWallet = (err: WalletError) => err?.code === 4001 || err?.code === "ACTION_REJECTED" || err?.info?.error?.code === 4001;

/**
 * Any thrown value as a Trouble: ProvenantErrors keep their code and message; wallet refusals are named, also
 * when a chain client wrapped one (its cause).
 */
export function toTrouble(e: unknown): Trouble {
  const err = e as WalletError;
  if (declinedInWallet(err) || (isProvenantError(e) && declinedInWallet(e.cause as WalletError))) {
    return trouble("WALLET_REJECTED", "You declined the request in your wallet.");
  }
  if (isProvenantError(e)) return trouble(e.code, e.message);
  if (err?.code === "NETWORK_ERROR" || err?.code === "SERVER_ERROR" || err?.code === "TIMEOUT") {
    return trouble("CHAIN_UNREACHABLE", err.shortMessage ?? "The JSON-RPC node did not answer.");
  }
  const message = err?.shortMessage ?? err?.message ?? String(e);
  return { code: "INTERNAL", title: "Something went wrong", detail: message };
}
