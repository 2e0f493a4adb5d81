import { InputError } from "./errors.ts";
import { preview } from "./hex.ts";

/**
 * Token ids and addresses as users, files and requests give them. One rule each, shared by the CLI, the
 * attestor service, the app and every saved format, so that no edge accepts what another refuses.
 */

const TOKEN_ID = /^[1-9][0-9]{0,76}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * A token id in decimal: 1, 2, ... with no sign, leading zero or spaces, and at most 77 digits, so that it
 * always fits the contracts' uint256 (ids are minted from 1 upward; none comes near).
 */
export function isTokenId(value: unknown): value is string {
  return typeof value === "string" && TOKEN_ID.test(value);
}

/** Parses a decimal token id; `what` names it in the one-line error ("--dataset", "datasetId"). */
export function parseTokenId(value: unknown, what: string): bigint {
  if (!isTokenId(value)) throw new InputError("INPUT_INVALID", `${what} must be a token id (1, 2, ...), got ${preview(value)}`);
  return BigInt(value);
}

/** An account or contract address: 0x and 40 hex digits, any case (the checksum is not required). */
export function isAddress(value: unknown): value is `0x${string}` {
  return typeof value === "string" && ADDRESS.test(value);
}

/** Parses an address; `what` names it in the one-line error. */
export function parseAddress(value: unknown, what: string): `0x${string}` {
  if (!isAddress(value)) throw new InputError("INPUT_INVALID", `${what} must be an address (0x and 40 hex digits), got ${preview(value)}`);
  return value;
}
