import { Command } from "commander";
import { dataDir } from "../../core/config.ts";
import { openStore } from "../store.ts";
import { startGateway } from "../../core/storage/gateway-server.ts";
import { fail, withCommonOptions, type CommonOptions } from "../output.ts";

export function serveCommand(): Command {
  return withCommonOptions(
    new Command("serve")
      .description("serve the store as an IPFS path gateway: GET /ipfs/<cid>, CORS open")
      .option("--port <port>", "port to listen on", "8080")
      .option("--host <host>", "address to bind", "127.0.0.1"),
  ).action(async (opts: CommonOptions & { port: string; host: string }) => {
    try {
      const gw = await startGateway(openStore(opts.storage, dataDir(opts.dataDir)), { port: Number(opts.port), host: opts.host });
      process.stdout.write(opts.json ? `${JSON.stringify({ ok: true, url: gw.url })}\n` : `gateway at ${gw.url}/ipfs/<cid>\n`);
    } catch (e) {
      fail(e, opts.json);
    }
  });
}
