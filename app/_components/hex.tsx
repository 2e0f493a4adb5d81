import { CopyButton } from "./copy-button.tsx";

/**
 * A long hex string or CID in monospace: shortened in the middle, whole on hover, and a copy button beside it
 * that copies the whole value (selecting the shortened text would copy the "…"). `copy={false}` for places that
 * have their own.
 */
export function Hex({ value, head = 10, tail = 8, full = false, copy = true }: { value: string; head?: number; tail?: number; full?: boolean; copy?: boolean }) {
  const short = !full && value.length > head + tail + 3 ? `${value.slice(0, head)}…${value.slice(-tail)}` : value;
  return (
    <span className="hex">
      <code className="mono" title={value} data-full={value}>
        {short}
      </code>
      {copy && value ? <CopyButton value={value} /> : null}
    </span>
  );
}

/** A CID as a link to the app's own gateway route (/ipfs/<cid>), shortened like Hex, with a copy button. */
export function CidLink({ cid, full = false }: { cid: string; full?: boolean }) {
  const short = !full && cid.length > 30 ? `${cid.slice(0, 14)}…${cid.slice(-10)}` : cid;
  return (
    <span className="hex">
      <a href={`/ipfs/${cid}`} className="mono" title={cid} data-full={cid} target="_blank" rel="noreferrer">
        {short}
      </a>
      <CopyButton value={cid} />
    </span>
  );
}

export function shortAddress(a: string): string {
  return a.length > 12 ? `${a.slice(0, 6)}…${a.slice(-4)}` : a;
}
