/**
 * A virtualized, sortable table: only the rows in view (plus a small overscan) are in the DOM,
 * so 100,000 rows render and scroll like 50. Mantine `Table` markup with a sticky header; the
 * rows outside the window are replaced by two spacer rows. Row heights are fixed.
 */
import { Box, Table, UnstyledButton, Group, Text } from '@mantine/core';
import { IconArrowDown, IconArrowUp, IconSelector } from '@tabler/icons-react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef, type ReactNode } from 'react';
import type { SortState } from './tableModel';

export interface Column<T> {
  key: string;
  header: string;
  /** CSS width of the column (fixed table layout) */
  width?: string | number;
  sortable?: boolean;
  render: (row: T) => ReactNode;
  /** shown in the header cell instead of `header` (which stays the column's name) */
  headerContent?: ReactNode;
  /** the cell as exported to CSV (records/exportCsv.ts); by default the row's field `key` */
  csv?: (row: T) => unknown;
  /** off until chosen in the table's Columns menu (RecordTablePage) */
  optional?: boolean;
}

export interface VirtualTableProps<T> {
  rows: readonly T[];
  columns: readonly Column<T>[];
  rowKey: (row: T) => string;
  sort: SortState;
  onSort: (sort: SortState) => void;
  onRowClick?: (row: T) => void;
  rowProps?: (row: T) => Record<string, string | undefined>;
  /** height of the scroll area, e.g. 'calc(100dvh - 220px)' */
  height: string | number;
  rowHeight?: number;
  testId?: string;
}

export function VirtualTable<T>({ rows, columns, rowKey, sort, onSort, onRowClick, rowProps, height, rowHeight = 44, testId }: VirtualTableProps<T>) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const total = virtualizer.getTotalSize();
  const top = items.length > 0 ? items[0].start : 0;
  const bottom = items.length > 0 ? total - items[items.length - 1].end : 0;

  const toggle = (key: string) => {
    onSort(sort.key === key ? { key, direction: sort.direction === 'asc' ? 'desc' : 'asc' } : { key, direction: 'asc' });
  };

  return (
    <Box
      ref={scrollRef}
      data-testid={testId}
      data-row-count={rows.length}
      style={{ height, overflow: 'auto', border: '1px solid var(--mantine-color-default-border)', borderRadius: 'var(--mantine-radius-md)', background: 'var(--mantine-color-body)' }}
    >
      <Table stickyHeader highlightOnHover={!!onRowClick} layout="fixed" verticalSpacing={0} style={{ minWidth: 720 }}>
        <colgroup>
          {columns.map((c) => (
            <col key={c.key} style={{ width: c.width }} />
          ))}
        </colgroup>
        <Table.Thead style={{ zIndex: 2 }}>
          <Table.Tr>
            {columns.map((c) => {
              const active = sort.key === c.key;
              const Icon = active ? (sort.direction === 'asc' ? IconArrowUp : IconArrowDown) : IconSelector;
              return (
                <Table.Th key={c.key} style={{ height: 40, whiteSpace: 'nowrap' }} aria-sort={active ? (sort.direction === 'asc' ? 'ascending' : 'descending') : undefined}>
                  {c.headerContent ? (
                    c.headerContent
                  ) : c.sortable ? (
                    <UnstyledButton onClick={() => toggle(c.key)} data-testid={`sort-${c.key}`} style={{ width: '100%' }}>
                      <Group gap={4} wrap="nowrap">
                        <Text fw={600} size="sm" c={active ? undefined : 'dimmed'}>
                          {c.header}
                        </Text>
                        <Icon size={14} stroke={1.8} style={{ opacity: active ? 1 : 0.5, flexShrink: 0 }} />
                      </Group>
                    </UnstyledButton>
                  ) : (
                    <Text fw={600} size="sm" c="dimmed">
                      {c.header}
                    </Text>
                  )}
                </Table.Th>
              );
            })}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {top > 0 && (
            <tr aria-hidden style={{ height: top }}>
              <td colSpan={columns.length} style={{ padding: 0, border: 0 }} />
            </tr>
          )}
          {items.map((item) => {
            const row = rows[item.index];
            return (
              <Table.Tr
                key={rowKey(row)}
                style={{ height: rowHeight, cursor: onRowClick ? 'pointer' : undefined }}
                onClick={onRowClick ? () => onRowClick(row) : undefined}
                {...(rowProps ? rowProps(row) : {})}
              >
                {columns.map((c) => (
                  <Table.Td key={c.key} data-col={c.key} style={{ overflow: 'hidden', whiteSpace: 'nowrap', textOverflow: 'ellipsis', height: rowHeight }}>
                    {c.render(row)}
                  </Table.Td>
                ))}
              </Table.Tr>
            );
          })}
          {bottom > 0 && (
            <tr aria-hidden style={{ height: bottom }}>
              <td colSpan={columns.length} style={{ padding: 0, border: 0 }} />
            </tr>
          )}
        </Table.Tbody>
      </Table>
    </Box>
  );
}
