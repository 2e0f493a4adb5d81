/** A long hex string or CID in monospace: shortened in the middle, whole on hover and when copied. */
export function Hex({ value, head = 10, tail = 8, full = false }: { value: string; head?: number; tail?: number; full?: boolean }) {
  const short = !full && value.length > head + tail + 3 ? `${value.slice(0, head)}…${value.slice(-tail)}` : value;
  return (
    <code className="mono" title={value} data-full={value}>
      {short}
    </code>
  );
}

export function shortAddress(a: string): string {
  return a.length > 12 ? `${a.slice(0, 6)}…${a.slice(-4)}` : a;
}
