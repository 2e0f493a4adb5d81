"use client";

import { createContext, useCallback, useContext, useEffect, useMemo, useState, useSyncExternalStore, type ReactNode } from "react";
import type { Eip1193Provider } from "ethers";

/**
 * The app's one providers file: the chain the app reads, and the wallets the browser offers.
 * Wallets are discovered with EIP-6963 (each extension announces itself; none is assumed to own
 * window.ethereum) and driven through EIP-1193. On a development chain the node's own unlocked accounts are
 * offered too, through the app's /api/rpc, so a local demo needs no extension.
 */

export interface AppInfo {
  chainId: number | null;
  chainName: string;
  registry: string | null;
  /** The development node's unlocked accounts may sign (local chain, not switched off). */
  nodeAccounts: boolean;
}

export interface WalletOption {
  id: string;
  name: string;
  icon: string | null;
  kind: "eip6963" | "injected" | "local";
  provider: Eip1193Provider & { on?: (e: string, f: (...a: unknown[]) => void) => void; removeListener?: (e: string, f: (...a: unknown[]) => void) => void };
}

export interface Connected {
  option: WalletOption;
  account: string;
  chainId: number;
}

interface WalletContext {
  app: AppInfo;
  options: WalletOption[];
  connected: Connected | null;
  connect(option: WalletOption): Promise<Connected>;
  disconnect(): void;
  switchChain(): Promise<void>;
}

const Context = createContext<WalletContext | null>(null);

interface Eip6963Detail {
  info: { uuid: string; name: string; icon: string; rdns: string };
  provider: WalletOption["provider"];
}

/** The node's accounts, through the app's JSON-RPC bridge (which allows signing on development chains only). */
function localNodeProvider(): WalletOption["provider"] {
  let id = 0;
  return {
    async request({ method, params }: { method: string; params?: unknown[] | Record<string, unknown> }) {
      const m = method === "eth_requestAccounts" ? "eth_accounts" : method;
      const res = await fetch("/api/rpc", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method: m, params: params ?? [] }),
      });
      const body = (await res.json()) as { result?: unknown; error?: { code: number; message: string; data?: unknown } };
      if (body.error) throw Object.assign(new Error(body.error.message), { code: body.error.code, data: body.error.data });
      return body.result;
    },
  };
}

/** window.ethereum is set once by the extension before the page runs: nothing to subscribe to. */
const noSubscription = () => () => {};

export function Providers({ app, children }: { app: AppInfo; children: ReactNode }) {
  const [announced, setAnnounced] = useState<WalletOption[]>([]);
  // Wallets that predate EIP-6963 only set window.ethereum: a browser value, read after hydration (none on the server).
  const legacy = useSyncExternalStore(
    noSubscription,
    () => (window as unknown as { ethereum?: WalletOption["provider"] }).ethereum ?? null,
    () => null,
  );
  const injected = useMemo<WalletOption | null>(
    () => (legacy ? { id: "injected", name: "Browser wallet", icon: null, kind: "injected", provider: legacy } : null),
    [legacy],
  );
  const [connected, setConnected] = useState<Connected | null>(null);

  useEffect(() => {
    const onAnnounce = (event: Event) => {
      const { info, provider } = (event as CustomEvent<Eip6963Detail>).detail;
      setAnnounced((list) => (list.some((w) => w.id === info.uuid) ? list : [...list, { id: info.uuid, name: info.name, icon: info.icon, kind: "eip6963", provider }]));
    };
    window.addEventListener("eip6963:announceProvider", onAnnounce);
    window.dispatchEvent(new Event("eip6963:requestProvider"));
    return () => window.removeEventListener("eip6963:announceProvider", onAnnounce);
  }, []);

  const options = useMemo(() => {
    const list = [...announced];
    if (list.length === 0 && injected) list.push(injected);
    if (app.nodeAccounts) list.push({ id: "local-node", name: "Local node account", icon: null, kind: "local", provider: localNodeProvider() });
    return list;
  }, [announced, injected, app.nodeAccounts]);

  const connect = useCallback(async (option: WalletOption): Promise<Connected> => {
    const accounts = (await option.provider.request({ method: "eth_requestAccounts" })) as string[];
    if (!accounts?.length) throw Object.assign(new Error("the wallet shared no account"), { code: 4001 });
    const chainId = Number(BigInt((await option.provider.request({ method: "eth_chainId" })) as string));
    const c = { option, account: accounts[0], chainId };
    setConnected(c);
    return c;
  }, []);

  // Follow the wallet when the user changes account or network in it.
  useEffect(() => {
    const p = connected?.option.provider;
    if (!p?.on) return;
    const onAccounts = (a: unknown) => {
      const list = a as string[];
      setConnected((c) => (c && list.length ? { ...c, account: list[0] } : null));
    };
    const onChain = (id: unknown) => setConnected((c) => (c ? { ...c, chainId: Number(BigInt(id as string)) } : null));
    p.on("accountsChanged", onAccounts);
    p.on("chainChanged", onChain);
    return () => {
      p.removeListener?.("accountsChanged", onAccounts);
      p.removeListener?.("chainChanged", onChain);
    };
  }, [connected?.option]);

  const switchChain = useCallback(async () => {
    if (!connected || app.chainId === null) return;
    await connected.option.provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId: `0x${app.chainId.toString(16)}` }] });
    const chainId = Number(BigInt((await connected.option.provider.request({ method: "eth_chainId" })) as string));
    setConnected({ ...connected, chainId });
  }, [connected, app.chainId]);

  const value = useMemo<WalletContext>(
    () => ({ app, options, connected, connect, disconnect: () => setConnected(null), switchChain }),
    [app, options, connected, connect, switchChain],
  );
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useWallets(): WalletContext {
  const c = useContext(Context);
  if (!c) throw new Error("useWallets outside <Providers>");
  return c;
}
