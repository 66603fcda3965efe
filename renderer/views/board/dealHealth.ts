/**
 * Deal health on the board (issue 15, item 4): how long a deal has been in its stage, and its next
 * step — the earliest open follow-up, overdue once its due time has passed — or none. Computed
 * from the local store (stage changes and follow-ups), so it works offline.
 */
import { createContext, useContext } from 'react';
import type { ActivityRecord, DealRecord, StageChangeRecord } from '../../../shared/schemas.js';

export interface DealHealth {
  /** when the deal entered its current stage (its last move there) */
  stageEnteredAt: string | null;
  /** the earliest open follow-up, or null: "no next step" */
  nextFollowUp: { dueAt: string; subject: string | null; overdue: boolean } | null;
}

const DAY_MS = 86_400_000;

/** Per deal: when it entered its stage (from the stage changes) and its next open follow-up. */
export function healthIndex(
  changes: readonly StageChangeRecord[],
  followUps: readonly ActivityRecord[],
  now: number,
): Map<string, Omit<DealHealth, 'stageEnteredAt'> & { entered: Map<string, string> }> {
  const out = new Map<string, Omit<DealHealth, 'stageEnteredAt'> & { entered: Map<string, string> }>();
  const entry = (dealId: string) => {
    let e = out.get(dealId);
    if (!e) out.set(dealId, (e = { nextFollowUp: null, entered: new Map() }));
    return e;
  };
  for (const c of changes) {
    const e = entry(c.dealId);
    const seen = e.entered.get(c.toStageId);
    if (!seen || c.changedAt > seen) e.entered.set(c.toStageId, c.changedAt);
  }
  for (const a of followUps) {
    if (!a.dealId || a.completedAt || a.archivedAt || !a.dueAt || a.type !== 'follow_up') continue;
    const e = entry(a.dealId);
    if (!e.nextFollowUp || a.dueAt < e.nextFollowUp.dueAt) e.nextFollowUp = { dueAt: a.dueAt, subject: a.subject, overdue: Date.parse(a.dueAt) < now };
  }
  return out;
}

export type HealthIndex = ReturnType<typeof healthIndex>;

/** A deal's health from the index: its stage is entered at its last move there, else at its creation. */
export function healthOf(index: HealthIndex | null, deal: DealRecord): DealHealth {
  const e = index?.get(deal.id);
  return { stageEnteredAt: e?.entered.get(deal.stageId) ?? deal.createdAt, nextFollowUp: e?.nextFollowUp ?? null };
}

/** Whole days from `iso` to `now` (0 on the day itself). */
export function daysSince(iso: string, now: number): number {
  return Math.max(0, Math.floor((now - Date.parse(iso)) / DAY_MS));
}

/** The board's health index, for its cards (null outside a board: no health shown). */
export const DealHealthContext = createContext<HealthIndex | null>(null);
export const useDealHealthIndex = () => useContext(DealHealthContext);
