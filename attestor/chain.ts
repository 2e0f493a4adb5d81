/**
 * The service's view of the chain, connected on first use (the service starts without one; a failed
 * connection is tried again on the next use): the connection, the deployment's addresses, and who this
 * attestor is on-chain.
 */
import { connect } from "../core/chain/connect.ts";
import type { ChainConnection } from "../core/chain/connect.ts";
import { AttestorRegistryClient } from "../core/chain/attestor-registry.ts";
import { provenantAddresses } from "../core/chain/model-registry.ts";
import type { ModelRegistryAddresses } from "../core/chain/model-registry.ts";
import { resolveAttestorIdentity } from "../core/attestor/identity.ts";
import type { TpmTransport } from "../core/tpm/transport.ts";

export type ServiceChain = {
  connection(): Promise<ChainConnection>;
  addresses(): Promise<ModelRegistryAddresses>;
  /** The attestor's identity from its TPM and its AttestorRegistry record; NOT_ENROLLED when there is none. */
  identity(): ReturnType<typeof resolveAttestorIdentity>;
};

export function serviceChain(config: { network: string; addresses?: Partial<ModelRegistryAddresses>; ekIntermediates: string[] }, tpm: TpmTransport): ServiceChain {
  let connection: Promise<ChainConnection> | undefined;
  const chain: ServiceChain = {
    connection() {
      connection ??= connect(config.network).catch((e) => {
        connection = undefined;
        throw e;
      });
      return connection;
    },
    async addresses() {
      return provenantAddresses(await chain.connection(), config.addresses);
    },
    async identity() {
      const conn = await chain.connection();
      const attestors = new AttestorRegistryClient((await chain.addresses()).attestorRegistry, conn.provider, conn.chainId);
      return resolveAttestorIdentity(tpm, attestors, config.ekIntermediates);
    },
  };
  return chain;
}
