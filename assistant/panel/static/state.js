// The current draft and what the agent did with it: one object, shared by the modules.

function fresh() {
  return {
    draftId: null, decision: null, arm: null, shownAt: null, firstEditAt: null, lastInputAt: null,
    activeEditMs: 0, sourcesOpenMs: 0, openSince: new Map(), anyOpenSince: 0, done: false,
    passages: new Map(), entries: [], docOrder: [], flags: [], draftText: null, replacing: null, verdict: null,
  };
}

export const state = { ...fresh(), streaming: false, question: null, hiddenAt: null };

/** A new draft: everything but the stream flag, the question and the page's visibility. */
export function resetDraftState() {
  Object.assign(state, fresh());
}
