import type { NextConfig } from "next";

const config: NextConfig = {
  distDir: process.env.PROVENANT_NEXT_DIST_DIR ?? ".next",
  typescript: { tsconfigPath: "app/tsconfig.json" },
  poweredByHeader: false,
  reactStrictMode: true,
  serverExternalPackages: ["@chainsafe/hashtree"],
};

export default config;
