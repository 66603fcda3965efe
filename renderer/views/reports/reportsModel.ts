/**
 * The reports (issue 15, item 3), computed from the local store so they work offline: pure
 * functions over deals, stage changes and activities. Money is summed per currency, exactly
 * (shared/money.ts), and never added across currencies.
 *
 * - Open pipeline by stage over time: at the end of each week, the open deals in each stage and
 *   their value, rebuilt from the stage history (each change carries the amount at that moment).
 * - Win rate and average cycle time by month: of the deals closed in a month, the share won, and
 *   the days from creation to winning.
 * - Forecast by expected-close month: open deals' amounts × probability (the deal's, else its
 *   stage's), per currency.
 * - Activities per person per week: notes, calls, emails, meetings and follow-ups logged, by who
 *   logged them.
 */
import dayjs from 'dayjs';
import type { ActivityRecord, DealRecord, StageChangeRecord, StageRecord } from '../../../shared/schemas.js';
import { fromUnits, toUnits, weightedUnits } from '../../../shared/money.js';

const DAY_MS = 86_400_000;

/** The Monday 00:00 (local time) of the week `iso` falls in, as YYYY-MM-DD. */
export function weekOf(iso: string | number | Date): string {
  const d = dayjs(iso);
  return d.subtract((d.day() + 6) % 7, 'day').format('YYYY-MM-DD');
}

/** The weeks (Mondays) from `from` to `to`, oldest first. */
export function weeksBetween(from: Date, to: Date): string[] {
  const out: string[] = [];
  for (let d = dayjs(weekOf(from)); !d.isAfter(dayjs(to)); d = d.add(1, 'week')) out.push(d.format('YYYY-MM-DD'));
  return out;
}

export interface StageSeriesPoint {
  week: string;
  /** value of the open deals in each stage at the end of the week (stage id → amount), in one currency */
  values: Record<string, number>;
  counts: Record<string, number>;
}

/**
 * Open pipeline by stage at the end of each week, in one currency: each deal's stage and amount at
 * a moment come from its last stage change before it (changes carry the amount then); a deal is
 * open from its creation until it was won or lost.
 */
export function pipelineOverTime(deals: DealRecord[], changes: StageChangeRecord[], stages: StageRecord[], currency: string, weeks: string[]): StageSeriesPoint[] {
  const stageIds = new Set(stages.map((s) => s.id));
  const byDeal = new Map<string, StageChangeRecord[]>();
  for (const c of changes) {
    const list = byDeal.get(c.dealId);
    if (list) list.push(c);
    else byDeal.set(c.dealId, [c]);
  }
  for (const list of byDeal.values()) list.sort((a, b) => (a.changedAt < b.changedAt ? -1 : 1));
  return weeks.map((week) => {
    const end = dayjs(week).add(7, 'day').valueOf();
    const values: Record<string, bigint> = {};
    const counts: Record<string, number> = {};
    for (const deal of deals) {
      if (deal.currency !== currency || Date.parse(deal.createdAt) >= end) continue;
      const closedAt = deal.wonAt ?? deal.lostAt;
      if (closedAt && Date.parse(closedAt) < end) continue;
      const history = byDeal.get(deal.id) ?? [];
      let stageId = deal.stageId;
      let amount = deal.amount;
      if (history.length) {
        const before = history.filter((c) => Date.parse(c.changedAt) < end);
        const last = before[before.length - 1];
        // before its first recorded move the deal was where that move took it from
        if (last) [stageId, amount] = [last.toStageId, last.amount];
        else [stageId, amount] = [history[0]!.fromStageId ?? deal.stageId, history[0]!.amount];
      }
      if (!stageIds.has(stageId)) continue;
      counts[stageId] = (counts[stageId] ?? 0) + 1;
      values[stageId] = (values[stageId] ?? 0n) + BigInt(amount == null ? 0 : toUnits(amount));
    }
    return { week, counts, values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, fromUnits(v)])) };
  });
}

export interface WinRateRow {
  month: string;
  won: number;
  lost: number;
  /** won / (won + lost), null with none closed */
  winRate: number | null;
  /** mean days from creation to winning, of the deals won that month */
  avgCycleDays: number | null;
}

/** Win rate and average cycle time of the deals closed in each month (YYYY-MM), oldest first. */
export function winRateByMonth(deals: DealRecord[], months: string[]): WinRateRow[] {
  const rows = new Map(months.map((m) => [m, { won: 0, lost: 0, cycle: 0 }]));
  for (const d of deals) {
    const closedAt = d.status === 'won' ? d.wonAt : d.status === 'lost' ? d.lostAt : null;
    if (!closedAt) continue;
    const row = rows.get(closedAt.slice(0, 7));
    if (!row) continue;
    if (d.status === 'won') {
      row.won++;
      row.cycle += (Date.parse(closedAt) - Date.parse(d.createdAt)) / DAY_MS;
    } else row.lost++;
  }
  return months.map((month) => {
    const r = rows.get(month)!;
    const closed = r.won + r.lost;
    return { month, won: r.won, lost: r.lost, winRate: closed ? r.won / closed : null, avgCycleDays: r.won ? Math.round((r.cycle / r.won) * 10) / 10 : null };
  });
}

export interface ForecastRow {
  month: string;
  currency: string;
  count: number;
  /** the open deals' amounts */
  value: number;
  /** amounts × probability (the deal's, else its stage's) */
  weighted: number;
}

/** Open deals by expected-close month (YYYY-MM) and currency, weighted by probability; months and currencies in order. */
export function forecast(deals: DealRecord[], stageProbability: (stageId: string) => number | null): ForecastRow[] {
  const by = new Map<string, { count: number; value: bigint; weighted: bigint }>();
  for (const d of deals) {
    if (d.status !== 'open' || !d.expectedCloseDate) continue;
    const key = `${d.expectedCloseDate.slice(0, 7)}|${d.currency}`;
    let row = by.get(key);
    if (!row) by.set(key, (row = { count: 0, value: 0n, weighted: 0n }));
    row.count++;
    if (d.amount == null) continue;
    const units = toUnits(d.amount);
    row.value += BigInt(units);
    row.weighted += weightedUnits(units, d.probability ?? stageProbability(d.stageId) ?? 0);
  }
  return [...by.entries()]
    .map(([key, r]) => {
      const [month, currency] = key.split('|') as [string, string];
      return { month, currency, count: r.count, value: fromUnits(r.value), weighted: fromUnits(r.weighted) };
    })
    .sort((a, b) => a.month.localeCompare(b.month) || a.currency.localeCompare(b.currency));
}

/** The forecast's totals per currency (currencies are never added together), summed exactly. */
export function forecastTotals(rows: ForecastRow[]): Omit<ForecastRow, 'month'>[] {
  const by = new Map<string, { count: number; value: bigint; weighted: bigint }>();
  for (const r of rows) {
    let total = by.get(r.currency);
    if (!total) by.set(r.currency, (total = { count: 0, value: 0n, weighted: 0n }));
    total.count += r.count;
    total.value += BigInt(toUnits(r.value));
    total.weighted += BigInt(toUnits(r.weighted));
  }
  return [...by.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, t]) => ({ currency, count: t.count, value: fromUnits(t.value), weighted: fromUnits(t.weighted) }));
}

export interface ActivityWeekRow {
  week: string;
  /** actor id (or '' for activities with none) → activities logged that week */
  counts: Record<string, number>;
}

/** Activities logged (by occurredAt) per person per week. */
export function activitiesPerWeek(activities: ActivityRecord[], weeks: string[]): ActivityWeekRow[] {
  const rows = new Map(weeks.map((w) => [w, {} as Record<string, number>]));
  for (const a of activities) {
    const row = rows.get(weekOf(a.occurredAt));
    if (!row) continue;
    const who = a.actorId ?? '';
    row[who] = (row[who] ?? 0) + 1;
  }
  return weeks.map((week) => ({ week, counts: rows.get(week)! }));
}

/** The months (YYYY-MM) of the last `n`, this one last. */
export function lastMonths(n: number, now = new Date()): string[] {
  return Array.from({ length: n }, (_, i) =>
    dayjs(now)
      .subtract(n - 1 - i, 'month')
      .format('YYYY-MM'),
  );
}
