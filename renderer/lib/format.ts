/**
 * Display formatting for money, dates and times. Money values are exact decimals (≤ 4 places)
 * as numbers; they are only formatted here, never summed (use shared/money.ts for sums).
 */
import dayjs from 'dayjs';
import relativeTime from 'dayjs/plugin/relativeTime.js';

dayjs.extend(relativeTime);

const moneyFormatters = new Map<string, Intl.NumberFormat>();

function moneyFormatter(currency: string, compact: boolean, fractional = false): Intl.NumberFormat {
  const key = `${currency}|${compact}|${fractional}`;
  let f = moneyFormatters.get(key);
  if (!f) {
    try {
      f = new Intl.NumberFormat(
        undefined,
        compact
          ? { style: 'currency', currency, notation: 'compact', maximumFractionDigits: 1 }
          : { style: 'currency', currency, minimumFractionDigits: fractional ? 2 : 0, maximumFractionDigits: fractional ? 2 : 0 },
      );
    } catch {
      f = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
    }
    moneyFormatters.set(key, f);
  }
  return f;
}

/** "$12,500" / "€1,234.5"; "—" for null. `compact` gives "$1.2M". */
export function formatMoney(amount: number | null | undefined, currency: string | null | undefined, options: { compact?: boolean } = {}): string {
  if (amount === null || amount === undefined || Number.isNaN(amount)) return '—';
  const code = (currency || 'USD').toUpperCase();
  const text = moneyFormatter(code, !!options.compact, !Number.isInteger(amount)).format(amount);
  return /^[A-Z]{3}$/.test(code) && !text.match(/[^\d.,\s-]/) ? `${text} ${code}` : text;
}

/** "Mar 4, 2026" from an ISO date-time or a YYYY-MM-DD date; "—" for empty. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? dayjs(iso, 'YYYY-MM-DD') : dayjs(iso);
  return d.isValid() ? d.format('MMM D, YYYY') : iso;
}

/** "Mar 4, 2026 14:05"; "—" for empty. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = dayjs(iso);
  return d.isValid() ? d.format('MMM D, YYYY HH:mm') : iso;
}

/** "3 hours ago" / "in 2 days"; "—" for empty. */
export function formatRelative(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = dayjs(iso);
  return d.isValid() ? d.fromNow() : iso;
}

/** 0.25 → "25%"; "—" for null. */
export function formatPercent(probability: number | null | undefined): string {
  if (probability === null || probability === undefined) return '—';
  return `${Math.round(probability * 1000) / 10}%`;
}

/** 0.35 → 35 (probabilities have at most 4 decimals, so percents at most 2); null stays null. */
export function probabilityToPercent(probability: number | null | undefined): number | null {
  if (probability === null || probability === undefined) return null;
  return Math.round(probability * 10_000) / 100;
}

/** 35 → 0.35: what a percent typed in a form is stored as (rounded to the 4 decimals a probability keeps). */
export function percentToProbability(percent: number): number {
  return Math.round(percent * 100) / 10_000;
}

/** "Ada King Lovelace" → "AL" (first and last word), "" → "?". */
export function initials(name: string | null | undefined): string {
  const parts = (name ?? '').trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '') + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase() || '?';
}
