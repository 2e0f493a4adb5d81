"use client";

import { useState } from "react";

/** Copies `value` whole, whatever the page shows of it; says so for a moment, and to screen readers. */
export function CopyButton({ value, label = "Copy" }: { value: string; label?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  const copy = async () => {
    try {
      if (navigator.clipboard) await navigator.clipboard.writeText(value);
      else {
        // Pages served over plain http to another host have no Clipboard API: the old way still works there.
        const area = document.createElement("textarea");
        area.value = value;
        area.setAttribute("readonly", "");
        area.style.position = "fixed";
        area.style.opacity = "0";
        document.body.appendChild(area);
        area.select();
        const ok = document.execCommand("copy");
        area.remove();
        if (!ok) throw new Error("copy refused");
      }
      setState("copied");
    } catch {
      setState("failed");
    }
    setTimeout(() => setState("idle"), 1500);
  };
  return (
    // The glyph is drawn by CSS (globals.css .copy), so the text around a value stays the value.
    <button
      type="button"
      className="copy"
      onClick={copy}
      data-testid="copy"
      data-value={value}
      data-state={state}
      aria-label={`${label}: ${value}`}
      title={`${label} the full value`}
    >
      <span className="visually-hidden" aria-live="polite">
        {state === "copied" ? "Copied" : state === "failed" ? "Could not copy" : ""}
      </span>
    </button>
  );
}
