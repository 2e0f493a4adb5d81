"use client";

import { useRef, type KeyboardEvent, type ReactNode } from "react";
import styles from "./tabs.module.css";

/**
 * An ARIA tabs widget (WAI-ARIA Authoring Practices, "Tabs with automatic activation"): one tab stop for the
 * list (roving tabindex), Left/Right (wrapping), Home and End move the focus and select; the panel is labelled
 * by its tab. The list and the panel are two pieces so a page can put them apart; `id` ties them together.
 */

export interface TabItem<K extends string> {
  key: K;
  label: string;
}

const tabId = (id: string, key: string) => `${id}-tab-${key}`;
const panelId = (id: string) => `${id}-panel`;

export function TabList<K extends string>({
  id,
  label,
  items,
  selected,
  onSelect,
}: {
  id: string;
  /** What the tabs choose, for screen readers ("How to give the sample"). */
  label: string;
  items: readonly TabItem<K>[];
  selected: K;
  onSelect: (key: K) => void;
}) {
  const buttons = useRef(new Map<K, HTMLButtonElement>());
  const onKeyDown = (e: KeyboardEvent<HTMLButtonElement>) => {
    const i = items.findIndex((t) => t.key === selected);
    const last = items.length - 1;
    const to = { ArrowRight: i === last ? 0 : i + 1, ArrowLeft: i === 0 ? last : i - 1, Home: 0, End: last }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    onSelect(items[to].key);
    buttons.current.get(items[to].key)?.focus();
  };
  return (
    <div role="tablist" aria-label={label} className={styles.list}>
      {items.map((t) => (
        <button
          key={t.key}
          type="button"
          role="tab"
          id={tabId(id, t.key)}
          aria-selected={t.key === selected}
          aria-controls={panelId(id)}
          tabIndex={t.key === selected ? 0 : -1}
          className={t.key === selected ? styles.tabOn : styles.tab}
          ref={(el) => {
            if (el) buttons.current.set(t.key, el);
            else buttons.current.delete(t.key);
          }}
          onClick={() => onSelect(t.key)}
          onKeyDown={onKeyDown}
          data-testid={tabId(id, t.key)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

/** The selected tab's panel (one element whose content follows the selection). */
export function TabPanel({ id, selected, children }: { id: string; selected: string; children: ReactNode }) {
  return (
    <div role="tabpanel" id={panelId(id)} aria-labelledby={tabId(id, selected)} className={styles.panel} data-testid={panelId(id)}>
      {children}
    </div>
  );
}
