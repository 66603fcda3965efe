/**
 * A vertical list reordered by dragging a handle: with the pointer, or from the keyboard (focus the
 * handle, Space to pick up, arrows to move, Space to drop, Escape to cancel), as dnd-kit's sortable
 * preset provides. The list shows the new order at once and calls `onReorder` with the ids in it;
 * the caller writes the positions (the list follows `items` again once that is done).
 */
import { useState, type CSSProperties, type ReactNode } from 'react';
import { ActionIcon, Box } from '@mantine/core';
import { closestCenter, DndContext, KeyboardSensor, PointerSensor, useSensor, useSensors, type Announcements, type DragEndEvent } from '@dnd-kit/core';
import { arrayMove, SortableContext, sortableKeyboardCoordinates, useSortable, verticalListSortingStrategy } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { IconGripVertical } from '@tabler/icons-react';

export interface SortableListProps<T extends { id: string }> {
  items: T[];
  /** The item's name for the handle's label and the screen-reader announcements. */
  nameOf(item: T): string;
  /** The row after the handle. */
  render(item: T): ReactNode;
  /** Writes the new order (`ids`, every item once); the list shows it until this settles. */
  onReorder(ids: string[]): Promise<unknown> | void;
  /** No handles: a read-only list. */
  disabled?: boolean;
  testId?: string;
}

function Row({ id, name, disabled, children }: { id: string; name: string; disabled?: boolean; children: ReactNode }) {
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } = useSortable({ id, disabled });
  const style: CSSProperties = {
    transform: CSS.Translate.toString(transform),
    transition,
    position: 'relative',
    zIndex: isDragging ? 2 : undefined,
    display: 'flex',
    alignItems: 'center',
    gap: 8,
    padding: '6px 8px',
    borderRadius: 'var(--mantine-radius-sm)',
    border: '1px solid var(--mantine-color-default-border)',
    background: isDragging ? 'var(--mantine-color-default-hover)' : 'var(--mantine-color-body)',
    boxShadow: isDragging ? 'var(--mantine-shadow-md)' : undefined,
  };
  return (
    <div ref={setNodeRef} style={style} data-testid={`sortable-${name}`} data-dragging={isDragging || undefined}>
      {!disabled && (
        <ActionIcon
          ref={setActivatorNodeRef}
          variant="subtle"
          color="gray"
          size="sm"
          aria-label={`Move ${name}`}
          data-testid={`move-${name}`}
          style={{ cursor: isDragging ? 'grabbing' : 'grab', touchAction: 'none' }}
          {...attributes}
          {...listeners}
        >
          <IconGripVertical size={16} />
        </ActionIcon>
      )}
      <Box style={{ flex: 1, minWidth: 0 }}>{children}</Box>
    </div>
  );
}

export function SortableList<T extends { id: string }>({ items, nameOf, render, onReorder, disabled, testId }: SortableListProps<T>) {
  const [order, setOrder] = useState<string[] | null>(null);
  const byId = new Map(items.map((i) => [i.id, i]));
  // while the writes of a move run: the new order (items added meanwhile at the end)
  const shown = order ? [...order.map((id) => byId.get(id)).filter((i): i is T => !!i), ...items.filter((i) => !order.includes(i.id))] : items;
  const sensors = useSensors(useSensor(PointerSensor, { activationConstraint: { distance: 4 } }), useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }));
  const name = (id: string | number) => {
    const item = byId.get(String(id));
    return item ? nameOf(item) : String(id);
  };
  const position = (id: string | number) => shown.findIndex((i) => i.id === String(id)) + 1;
  const announcements: Announcements = {
    onDragStart: ({ active }) => `Picked up ${name(active.id)}, position ${position(active.id)} of ${shown.length}.`,
    onDragOver: ({ active, over }) => (over ? `${name(active.id)} moved to position ${position(over.id)} of ${shown.length}.` : undefined),
    onDragEnd: ({ active, over }) => (over ? `${name(active.id)} dropped at position ${position(over.id)} of ${shown.length}.` : `${name(active.id)} dropped.`),
    onDragCancel: ({ active }) => `Moving ${name(active.id)} was cancelled.`,
  };

  function onDragEnd({ active, over }: DragEndEvent) {
    if (!over || active.id === over.id) return;
    const ids = shown.map((i) => i.id);
    const next = arrayMove(ids, ids.indexOf(String(active.id)), ids.indexOf(String(over.id)));
    setOrder(next);
    void Promise.resolve(onReorder(next)).finally(() => setOrder(null));
  }

  return (
    <DndContext sensors={sensors} collisionDetection={closestCenter} onDragEnd={onDragEnd} accessibility={{ announcements }}>
      <SortableContext items={shown.map((i) => i.id)} strategy={verticalListSortingStrategy} disabled={disabled}>
        <Box style={{ display: 'flex', flexDirection: 'column', gap: 6 }} data-testid={testId}>
          {shown.map((item) => (
            <Row key={item.id} id={item.id} name={nameOf(item)} disabled={disabled}>
              {render(item)}
            </Row>
          ))}
        </Box>
      </SortableContext>
    </DndContext>
  );
}
