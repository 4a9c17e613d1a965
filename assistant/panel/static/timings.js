// What the panel measures for each draft: draft shown → first edit → sent, editing time without the
// pauses, and time with at least one source open (the union of the open intervals).

import { record } from "./api.js";
import { state } from "./state.js";

const IDLE_MS = 30000; // a pause longer than this is not editing time

function sourcesOpenMs() {
  const running = state.openSince.size ? performance.now() - state.anyOpenSince : 0;
  return Math.round(state.sourcesOpenMs + running);
}

export function timings() {
  const now = performance.now();
  const shown = state.shownAt ?? now;
  return {
    ms_to_first_edit: state.firstEditAt === null ? null : Math.round(state.firstEditAt - shown),
    active_edit_ms: Math.round(state.activeEditMs),
    sources_open_ms: sourcesOpenMs(),
    ms_to_send: Math.round(now - shown),
  };
}

export function draftShown() {
  state.shownAt = performance.now();
  record("shown");
}

export function edited() {
  if (state.shownAt === null) return;
  const now = performance.now();
  if (state.firstEditAt === null) {
    state.firstEditAt = now;
    record("edit_started", { timings: { ms_to_first_edit: Math.round(now - state.shownAt) } });
  } else {
    const gap = now - state.lastInputAt;
    if (gap <= IDLE_MS) state.activeEditMs += gap; // a longer pause is idle time, not editing
  }
  state.lastInputAt = now;
}

// A source counts as "open" (verification time) from opening to closing; each closing is an event.
export function sourceOpened(key) {
  if (state.openSince.has(key)) return;
  const now = performance.now();
  if (!state.openSince.size) state.anyOpenSince = now;
  state.openSince.set(key, now);
}

export function sourceClosed(key, n) {
  if (!state.openSince.has(key)) return;
  const now = performance.now();
  const duration = now - state.openSince.get(key);
  state.openSince.delete(key);
  if (!state.openSince.size) state.sourcesOpenMs += now - state.anyOpenSince;
  if (duration >= 300 && state.draftId) {
    record("sources_opened", { passage: Number(n) || null, duration_ms: Math.round(duration) });
  }
}

// While the page is hidden (another tab in front) nobody is reading a passage: the open intervals
// are shifted by the hidden time, so it is not counted as verification time.
export function onVisibility() {
  const now = performance.now();
  if (document.hidden) { state.hiddenAt = now; return; }
  if (state.hiddenAt === null) return;
  const away = now - state.hiddenAt;
  state.hiddenAt = null;
  if (state.openSince.size) state.anyOpenSince += away;
  for (const [key, since] of state.openSince) state.openSince.set(key, since + away);
}
