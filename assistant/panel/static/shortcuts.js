// Keyboard shortcuts. Alt+letter belongs to the browser (Alt+E/F/D/V open Chrome's menu or address
// bar on Windows) and Ctrl+Alt is AltGr on French keyboards (AltGr+E types €): the panel uses
// Alt+Shift+letter ("Alt+Maj"), the combination web apps use inside Chrome, away from the browser's
// own Alt+Shift+I/T/B/A. Letters are read from the key typed (AZERTY or QWERTY alike).

import { $ } from "./dom.js";

// letter → [button id or null, action]; the list the « Raccourcis » help shows is in index.html.
let actions = {};

export function initShortcuts(map, { ask, escape }) {
  actions = map;
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { if (escape(event)) event.preventDefault(); return; }
    if (event.ctrlKey && !event.altKey && event.key === "Enter" && !$("workspace").hidden) {
      event.preventDefault();
      ask();
      return;
    }
    if (!event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey || $("workspace").hidden) return;
    const action = actions[letterOf(event)];
    if (action) { event.preventDefault(); action(); }
  });
}

function letterOf(event) {
  if (/^[a-z]$/i.test(event.key)) return event.key.toUpperCase();
  return /^Key[A-Z]$/.test(event.code) ? event.code.slice(3) : ""; // macOS: Option changes the key
}
