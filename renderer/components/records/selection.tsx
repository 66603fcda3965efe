/**
 * Row selection for the record tables (SPEC §6 "bulk select"): a checkbox column, a header box that
 * selects every row matching the current filters (all of them, not only the rows the virtualized
 * table renders), shift-click for a range, space on a focused box toggles its row, Escape clears.
 *
 * The selection is a set of ids; what counts is its intersection with the rows shown (`selected`,
 * in table order), so a row hidden by a filter change is never acted on.
 */
import { Checkbox } from '@mantine/core';
import { useCallback, useEffect, useMemo, useRef, useState, type MouseEvent } from 'react';
import type { Column } from './VirtualTable.js';

export interface RowSelection<T> {
  /** the selected rows among those shown, in table order */
  selected: T[];
  /** the checkbox column to put first */
  column: Column<T>;
  selectAll(): void;
  clear(): void;
}

const isTextEntry = (el: EventTarget | null) =>
  el instanceof HTMLElement && (el.isContentEditable || el.tagName === 'TEXTAREA' || (el.tagName === 'INPUT' && !['checkbox', 'radio', 'button'].includes((el as HTMLInputElement).type)));

export function useRowSelection<T extends { id: string }>(rows: readonly T[], noun: { one: string; many: string }, rowName: (row: T) => string): RowSelection<T> {
  const [ids, setIds] = useState<ReadonlySet<string>>(() => new Set());
  const anchor = useRef<string | null>(null);
  const selected = useMemo(() => (ids.size === 0 ? [] : rows.filter((r) => ids.has(r.id))), [rows, ids]);
  const clear = useCallback(() => {
    anchor.current = null;
    setIds(new Set());
  }, []);
  const selectAll = useCallback(() => setIds(new Set(rows.map((r) => r.id))), [rows]);

  // Escape clears the selection, unless it is closing a dialog or menu or clearing a text field
  useEffect(() => {
    if (ids.size === 0) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented || isTextEntry(e.target)) return;
      const open = document.querySelectorAll('[role="dialog"], [role="menu"], [role="listbox"]');
      if ([...open].some((el) => el.getClientRects().length > 0)) return;
      clear();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [ids.size, clear]);

  const toggle = useCallback(
    (row: T, shift: boolean) => {
      setIds((prev) => {
        const next = new Set(prev);
        const on = !prev.has(row.id);
        const from = shift && anchor.current ? rows.findIndex((r) => r.id === anchor.current) : -1;
        const to = from >= 0 ? rows.findIndex((r) => r.id === row.id) : -1;
        if (from >= 0 && to >= 0) {
          // a range takes the state the anchor row has
          const state = prev.has(anchor.current!);
          for (let i = Math.min(from, to); i <= Math.max(from, to); i++) {
            if (state) next.add(rows[i].id);
            else next.delete(rows[i].id);
          }
        } else if (on) next.add(row.id);
        else next.delete(row.id);
        return next;
      });
      if (!shift || !anchor.current) anchor.current = row.id;
    },
    [rows],
  );

  const all = rows.length > 0 && selected.length === rows.length;
  const column = useMemo<Column<T>>(
    () => ({
      key: '__select',
      header: 'Select',
      width: 44,
      headerContent: (
        <Checkbox
          size="xs"
          checked={all}
          indeterminate={selected.length > 0 && !all}
          onChange={() => (all ? clear() : selectAll())}
          aria-label={all ? 'Clear the selection' : `Select all ${rows.length.toLocaleString('en-US')} matching ${rows.length === 1 ? noun.one : noun.many}`}
          data-testid="select-all"
        />
      ),
      render: (row: T) => (
        <Checkbox
          size="xs"
          checked={ids.has(row.id)}
          // the row opens the record on click; the box only selects
          onClick={(e: MouseEvent<HTMLInputElement>) => {
            // a click (mouse, or space on the focused box) toggles; shift adds the range
            e.stopPropagation();
            toggle(row, e.shiftKey);
          }}
          onChange={() => undefined}
          onKeyDown={(e) => e.key === 'Enter' && e.stopPropagation()}
          aria-label={`Select ${rowName(row)}`}
          data-testid={`select-${row.id}`}
          styles={{ body: { padding: 6, margin: -6 } }}
          wrapperProps={{ onClick: (e: MouseEvent) => e.stopPropagation() }}
        />
      ),
    }),
    [ids, all, selected.length, rows.length, noun, rowName, toggle, clear, selectAll],
  );

  return { selected, column, selectAll, clear };
}
