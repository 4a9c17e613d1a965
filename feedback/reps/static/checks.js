// « Vérifier »: the public key's fingerprint, a receipt (a signed checkpoint) to keep, the bundle and
// the standalone verifier to download, and the verification in this browser (verify.js, WebCrypto)
// of a downloaded bundle — or of the log as it is now — optionally against a kept receipt.

import { API, authHeaders, downloadFrom, errorMessage } from "/panel/api.js";
import { $ } from "/panel/dom.js";

async function getJson(path) {
  const r = await fetch(`${API}${path}`, { headers: authHeaders() });
  if (!r.ok) throw Object.assign(new Error(await errorMessage(r)), { status: r.status });
  return r;
}

export async function showKey() {
  const key = await (await getJson("/audit/public-key")).json();
  $("key-fingerprint").textContent = key.fingerprint_grouped;
}

export async function makeReceipt() {
  const r = await downloadFrom(`${API}/audit/checkpoint`, "recu-audit.json", { method: "POST" });
  return r.status === 201 ? "Reçu créé et téléchargé : gardez-le." : "Le dernier reçu couvre déjà le journal : téléchargé.";
}

export const downloadBundle = () => downloadFrom(`${API}/audit/bundle`, "paquet-audit.json");
export const downloadVerifier = () => downloadFrom(`${API}/audit/verifier.py`, "verify_audit.py");

const read = (input) => (input.files && input.files[0] ? input.files[0].text() : Promise.resolve(null));

/** The verdict, in French, with the first bad entry named. */
export async function verifyInBrowser() {
  const { verifyFiles } = await import("./verify.js");
  const bundleText = (await read($("bundle-file"))) ?? (await (await getJson("/audit/bundle")).text());
  const result = await verifyFiles(bundleText, await read($("receipt-file")));
  const verdict = $("verdict");
  verdict.textContent = result.message;
  // A chain that verifies in a browser without Ed25519 is not fully proven: amber, not green.
  const fully = result.ok && result.signatures === "ok";
  verdict.className = fully ? "verdict-ok" : result.ok ? "verdict-warn" : "verdict-bad";
  return result;
}
