/**
 * Ranking for the command palette: records from the local store are scored against the typed
 * term so the best match comes first (and Enter opens it). The record's name counts most — exact,
 * then prefix, then a word prefix, then anywhere — then its other searchable text (email, website
 * domain, a deal's organization).
 */

export type PaletteKind = 'deal' | 'organization' | 'person';

export interface PaletteCandidate {
  kind: PaletteKind;
  id: string;
  /** the record's name (a deal's title) */
  label: string;
  /** other text the term may match: email, domain, website, organization name */
  also: readonly (string | null | undefined)[];
  description?: string;
}

export interface RankedCandidate extends PaletteCandidate {
  score: number;
}

const KIND_ORDER: Record<PaletteKind, number> = { person: 0, organization: 1, deal: 2 };

function textScore(term: string, text: string): number {
  const t = text.toLowerCase();
  if (t === term) return 4;
  if (t.startsWith(term)) return 3;
  // a word (after a space or punctuation) starts with the term
  const at = t.indexOf(term);
  if (at < 0) return 0;
  for (let i = at; i >= 0; i = t.indexOf(term, i + 1)) if (i > 0 && /[\s\-_.@&/(,]/.test(t[i - 1]!)) return 2;
  return 1;
}

/** 0 when the term matches nothing; higher is better. Name matches (40+) always beat other fields (≤ 4). */
export function matchScore(term: string, label: string, also: readonly (string | null | undefined)[]): number {
  const q = term.trim().toLowerCase();
  if (!q) return 0;
  const name = textScore(q, label);
  if (name > 0) return name * 10 + 4;
  let best = 0;
  for (const text of also) if (text) best = Math.max(best, textScore(q, text));
  return best;
}

/** The candidates that match, best first (ties: people, organizations, deals; then shorter, then alphabetical). */
export function rankCandidates(term: string, candidates: readonly PaletteCandidate[], limit: number): RankedCandidate[] {
  const seen = new Set<string>();
  const ranked: RankedCandidate[] = [];
  for (const c of candidates) {
    const key = `${c.kind}:${c.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const score = matchScore(term, c.label, c.also);
    if (score > 0) ranked.push({ ...c, score });
  }
  ranked.sort((a, b) => b.score - a.score || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.label.length - b.label.length || a.label.localeCompare(b.label));
  return ranked.slice(0, limit);
}
