// The retrieval banner: when the vector search failed for this draft (Chroma unreachable), the
// passages come from keyword search only, and the agent is told so until a draft has them again.

import { $ } from "./dom.js";

/** `unavailable`: the draft's dense_unavailable (embedders whose search failed); empty hides it. */
export function showRetrieval(unavailable) {
  $("retrieval-note").hidden = !(Array.isArray(unavailable) && unavailable.length);
}
