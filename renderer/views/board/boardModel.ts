/**
 * The board's numbers, computed from local records: deals per stage with count, total and
 * weighted value (amount × the deal's probability, else its stage's; open deals only — a won or
 * lost deal has no chance left to weigh), per currency, summed exactly (integer units, see
 * shared/money.ts).
 */
import { fromUnits, toUnits, weightedUnits } from '../../../shared/money.js';
import { formatMoney } from '../../lib/format.js';
import type { DealRecord, StageRecord } from '../../../shared/schemas.js';

export interface CurrencyTotal {
  currency: string;
  count: number;
  total: number;
  /** null when none of the deals is open */
  weighted: number | null;
}

export interface BoardColumnModel {
  stage: StageRecord;
  deals: DealRecord[];
  totals: CurrencyTotal[];
}

export type StatusFilter = 'open' | 'won' | 'lost' | 'all';

export interface BoardFilters {
  ownerId: string | null; // '__none__' = unassigned
  labels: string[];
  search: string;
  status: StatusFilter;
}

export const UNASSIGNED = '__none__';

/** Records whose name matched the filter text: deals with that organization, primary contact or deal contact match too. */
export interface DealSearchMatches {
  organizationIds: ReadonlySet<string>;
  personIds: ReadonlySet<string>;
  /** deals with a matching contact (dealContacts) */
  dealIds: ReadonlySet<string>;
}

export function filterDeals(deals: DealRecord[], filters: BoardFilters, matches?: DealSearchMatches | null): DealRecord[] {
  const search = filters.search.trim().toLowerCase();
  return deals.filter((d) => {
    if (d.archivedAt) return false;
    if (filters.status !== 'all' && d.status !== filters.status) return false;
    if (filters.ownerId === UNASSIGNED ? d.ownerId !== null : filters.ownerId && d.ownerId !== filters.ownerId) return false;
    if (filters.labels.length && !filters.labels.every((l) => d.labels.includes(l))) return false;
    if (search && !d.title.toLowerCase().includes(search)) {
      const related =
        !!matches &&
        ((d.organizationId !== null && matches.organizationIds.has(d.organizationId)) || (d.primaryPersonId !== null && matches.personIds.has(d.primaryPersonId)) || matches.dealIds.has(d.id));
      if (!related) return false;
    }
    return true;
  });
}

/** Totals per currency for a set of deals (currencies sorted by total value, largest first). */
export function totalsOf(deals: DealRecord[], stageProbability: (stageId: string) => number | null): CurrencyTotal[] {
  const by = new Map<string, { count: number; open: number; total: bigint; weighted: bigint }>();
  for (const d of deals) {
    const currency = d.currency || '';
    let t = by.get(currency);
    if (!t) by.set(currency, (t = { count: 0, open: 0, total: 0n, weighted: 0n }));
    t.count++;
    if (d.status === 'open') t.open++;
    if (d.amount === null || d.amount === undefined) continue;
    const units = toUnits(d.amount);
    t.total += BigInt(units);
    if (d.status !== 'open') continue;
    const probability = d.probability ?? stageProbability(d.stageId);
    if (probability !== null && probability !== undefined) t.weighted += weightedUnits(units, probability);
  }
  return [...by.entries()]
    .map(([currency, t]) => ({ currency, count: t.count, total: fromUnits(t.total), weighted: t.open > 0 ? fromUnits(t.weighted) : null }))
    .sort((a, b) => b.total - a.total || a.currency.localeCompare(b.currency));
}

/** The totals of several sets of deals together (e.g. the board's, from its columns'), without going over the deals again. */
export function mergeTotals(lists: readonly (readonly CurrencyTotal[])[]): CurrencyTotal[] {
  const by = new Map<string, { count: number; total: bigint; weighted: bigint | null }>();
  for (const list of lists) {
    for (const t of list) {
      let m = by.get(t.currency);
      if (!m) by.set(t.currency, (m = { count: 0, total: 0n, weighted: null }));
      m.count += t.count;
      m.total += BigInt(toUnits(t.total));
      if (t.weighted !== null) m.weighted = (m.weighted ?? 0n) + BigInt(toUnits(t.weighted));
    }
  }
  return [...by.entries()]
    .map(([currency, m]) => ({ currency, count: m.count, total: fromUnits(m.total), weighted: m.weighted === null ? null : fromUnits(m.weighted) }))
    .sort((a, b) => b.total - a.total || a.currency.localeCompare(b.currency));
}

/**
 * The text of a totals line: every currency (never added together, never hidden behind "+N"),
 * and the weighted values of the currencies with open deals (null when there are none).
 */
export function totalsLines(totals: readonly CurrencyTotal[], options: { compact?: boolean } = {}): { amounts: string; weighted: string | null } {
  const amounts = totals.map((t) => formatMoney(t.total, t.currency, options)).join(' · ');
  const weighted = totals.filter((t) => t.weighted !== null).map((t) => formatMoney(t.weighted, t.currency, options));
  return { amounts, weighted: weighted.length ? weighted.join(' · ') : null };
}

/** Cards in a column: most recently changed first, so a moved deal shows at the top. */
function byRecent(a: DealRecord, b: DealRecord): number {
  return a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : a.id < b.id ? 1 : -1;
}

const sameItems = <T>(a: readonly T[], b: readonly T[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * One column per stage, its deals most recent first, with its totals. A column whose stage and
 * deals (the same records, in the same order) are those of its `previous` model is that model,
 * unchanged: one deal moving re-renders and re-totals only the columns it left and entered.
 */
export function buildColumns(stages: StageRecord[], deals: readonly DealRecord[], previous: readonly BoardColumnModel[] = []): BoardColumnModel[] {
  const probability = new Map(stages.map((s) => [s.id, s.probability]));
  const byStage = new Map<string, DealRecord[]>(stages.map((s) => [s.id, []]));
  for (const d of deals) byStage.get(d.stageId)?.push(d);
  const before = new Map(previous.map((c) => [c.stage.id, c]));
  return stages.map((stage) => {
    const list = (byStage.get(stage.id) ?? []).sort(byRecent);
    const old = before.get(stage.id);
    if (old && old.stage === stage && sameItems(old.deals, list)) return old;
    return { stage, deals: list, totals: totalsOf(list, (id) => probability.get(id) ?? null) };
  });
}

/** `deals` as the board shows them: a moved deal in its new stage (the latest change first) until the store has the move. */
export function withMoves(deals: DealRecord[], moves: ReadonlyMap<string, PendingMove>): DealRecord[] {
  if (moves.size === 0) return deals;
  return deals.map((d) => {
    const move = moves.get(d.id);
    return move && move.from === d ? move.shown : d;
  });
}

/** A move the board shows at once, before the local write lands: the deal as it was (`from`, the stored record) and as shown. */
export interface PendingMove {
  from: DealRecord;
  shown: DealRecord;
}
