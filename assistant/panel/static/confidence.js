// The confidence level shown on every draft: the server's decision.level / level_reason when it
// sends them, otherwise derived from decision.confidence. Never a raw number for the agent.

const REASONS = {
  "élevée": "Les sources trouvées répondent directement à la question.",
  "moyenne": "Les sources ne couvrent qu'une partie de la question : vérifiez les passages cités.",
  "faible": "Les sources sont peu proches de la question : vérifiez chaque phrase avant d'envoyer.",
};

/** {level: "élevée" | "moyenne" | "faible", reason} for a decision, or null when nothing is known. */
export function confidenceLevel(decision) {
  if (!decision) return null;
  if (REASONS[decision.level]) {
    return { level: decision.level, reason: decision.level_reason || REASONS[decision.level] };
  }
  const c = Number(decision.confidence);
  if (decision.confidence === null || decision.confidence === undefined || Number.isNaN(c)) return null;
  const level = c >= 0.75 ? "élevée" : c >= 0.6 ? "moyenne" : "faible";
  return { level, reason: REASONS[level] };
}

/** A decision reason without its numbers: "(confiance 0.47 < 0.48)" means nothing to the agent. */
export function plainReason(reason) {
  return (reason || "")
    .replace(/\s*\([^()]*\d[.,]\d+\s*[<>≤≥]=?\s*\d[.,]\d+[^()]*\)/g, "")
    .replace(/\s{2,}/g, " ")
    .trim();
}
