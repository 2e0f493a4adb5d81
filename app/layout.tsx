import type { Metadata } from "next";
import type { ReactNode } from "react";
import Link from "next/link";
import { connection } from "next/server";
import { Providers, type AppInfo } from "./_components/providers.tsx";
import { SearchForm } from "./_components/search-form.tsx";
import { shortAddress } from "./_components/hex.tsx";
import { appChain } from "./_lib/server/chain.ts";
import { appConfig } from "./_lib/server/config.ts";
import { chainName, isDevChain } from "../core/chain/networks.ts";
import "./globals.css";
import styles from "./layout.module.css";

export const metadata: Metadata = {
  title: { default: "Provenant", template: "%s · Provenant" },
  description: "Verifiable provenance for AI datasets and models",
};

async function appInfo(): Promise<AppInfo> {
  await connection(); // chain facts are read per request, never baked in at build time
  try {
    const chain = await appChain();
    const nodeAccounts = isDevChain(chain.chainId) && appConfig().nodeAccounts;
    return { chainId: chain.chainId, chainName: chainName(chain.chainId), registry: chain.registry.address, nodeAccounts };
  } catch {
    return { chainId: null, chainName: "no chain", registry: null, nodeAccounts: false };
  }
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  const app = await appInfo();
  const { gatewayUrl } = appConfig();
  return (
    <html lang="en">
      <body>
        <a href="#content" className="skip-link">
          Skip to content
        </a>
        <header className={styles.header}>
          <div className={`container ${styles.bar}`}>
            <Link href="/" className={styles.brand}>
              <span className={styles.mark} aria-hidden>
                ◆
              </span>
              Provenant
            </Link>
            <nav className={styles.nav}>
              <Link href="/">Datasets</Link>
              <Link href="/models">Models</Link>
              <Link href="/mint">Mint</Link>
            </nav>
            <div className={styles.search}>
              <SearchForm compact />
            </div>
          </div>
        </header>
        {/* The skip link's target, every page's one main element: focusable so the jump moves the keyboard focus too. */}
        <main id="content" tabIndex={-1}>
          <Providers app={app}>{children}</Providers>
        </main>
        <footer className={styles.footer}>
          <div className="container">
            <span>
              {app.chainId === null ? (
                "Chain: not reachable"
              ) : (
                <>
                  {app.chainName} (chain {app.chainId}) · DatasetRegistry <code title={app.registry ?? ""}>{shortAddress(app.registry ?? "")}</code>
                </>
              )}
            </span>
            <span>Storage: {gatewayUrl}</span>
          </div>
        </footer>
      </body>
    </html>
  );
}
