/**
 * Run a software TPM for development until Ctrl-C, printing how to reach it.
 *
 *   node scripts/tpm/dev-swtpm.ts [--state-dir .swtpm]
 *
 * With --state-dir the TPM (and its AK, if one was made) survives restarts; without it a
 * fresh temp dir is used and removed on exit.
 */
import { parseArgs } from "node:util";
import { isProvenantError } from "../../core/errors.ts";
import { startSwtpm } from "../../core/tpm/swtpm.ts";

const { values } = parseArgs({ options: { "state-dir": { type: "string" } } });

try {
  const tpm = await startSwtpm(values["state-dir"] ? { stateDir: values["state-dir"] } : {});
  console.log(`export TPM2TOOLS_TCTI="${tpm.tcti}"`);
  console.log(`# EK root CA: ${tpm.caCertPath}`);
  console.log(`# EK intermediate CA: ${tpm.issuerCertPath}`);
  console.log(`# state: ${tpm.stateDir} (pid ${tpm.pid}); Ctrl-C to stop`);
  const stop = () => {
    tpm.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  setInterval(() => undefined, 1 << 30);
} catch (e) {
  console.error(isProvenantError(e) ? `${e.code}: ${e.message}` : e);
  process.exit(1);
}
