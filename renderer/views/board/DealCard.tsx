/**
 * One deal on the board: drag it to another stage (pointer or keyboard: space, arrows, space), or
 * use its menu to move, win or lose it. Click or Enter opens the deal. For whoever may not edit
 * deals (`readOnly`) the card only opens the deal: no drag, no menu. Cards are plain elements
 * with a fixed height (see DealCard.module.css) so thousands mount and scroll fast; the menu
 * (Mantine) is mounted only when asked for.
 */
import { memo, useState, type CSSProperties } from 'react';
import { Menu } from '@mantine/core';
import { useDraggable } from '@dnd-kit/core';
import { IconArrowRight, IconBell, IconCalendar, IconDots, IconExternalLink, IconRotateClockwise, IconThumbDown, IconTrophy } from '@tabler/icons-react';
import type { FieldDefinition } from '../../../shared/customFields.js';
import type { DealRecord, StageRecord } from '../../../shared/schemas.js';
import { optionColor } from '../../components/custom/CustomFieldValue.js';
import { formatCustom } from '../../components/custom/customValues.js';
import { referenceTarget } from '../../components/custom/useCustomFields.js';
import { useRxDoc } from '../../hooks/useRx.js';
import { formatDate, formatDateTime, formatMoney, initials } from '../../lib/format.js';
import { daysSince, healthOf, useDealHealthIndex } from './dealHealth.js';
import classes from './DealCard.module.css';

/** Cards have one fixed height so columns of thousands of deals scroll without measuring. */
export const CARD_HEIGHT = 128;

export interface DealCardActions {
  open(deal: DealRecord): void;
  move(deal: DealRecord, stageId: string): void;
  won(deal: DealRecord): void;
  lost(deal: DealRecord): void;
  reopen(deal: DealRecord): void;
}

interface Props {
  deal: DealRecord;
  organizationName: string | null;
  ownerName: string | null;
  stages: StageRecord[];
  actions: DealCardActions;
  /** the signed-in user may not edit deals */
  readOnly: boolean;
  /** the custom fields chosen for this pipeline's cards */
  fields: readonly FieldDefinition[];
}

const FORMAT = { money: (amount: number, currency: string) => formatMoney(amount, currency), date: formatDate, dateTime: formatDateTime };

const hasValue = (v: unknown) => v !== null && v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0);

/** Chip colors of an option color: a Mantine color's light variant, or a #rrggbb tint. */
function chipStyle(color: string | null | undefined): CSSProperties | undefined {
  if (!color) return undefined;
  if (color.startsWith('#')) return { background: `${color}26`, color: 'var(--mantine-color-text)', boxShadow: `inset 0 0 0 1px ${color}66` };
  return { background: `var(--mantine-color-${color}-light)`, color: `var(--mantine-color-${color}-light-color)` };
}

function ReferenceChip({ def, id }: { def: FieldDefinition; id: string }) {
  const target = referenceTarget(def.referenceTo);
  const { doc } = useRxDoc<Record<string, unknown>>(target.collection, id);
  const name = doc ? String(doc[target.labelField] ?? '') : '…';
  return (
    <span className={classes.field} title={`${def.label}: ${name}`} data-card-field={def.key}>
      {name}
    </span>
  );
}

/** A card's chosen custom values as compact chips: select options in their colors, others as "Label value". */
function CardFields({ deal, fields }: { deal: DealRecord; fields: readonly FieldDefinition[] }) {
  return (
    <>
      {fields.map((def) => {
        const value = deal.custom?.[def.key];
        if (!hasValue(value)) return null;
        if (def.type === 'reference') return <ReferenceChip key={def.key} def={def} id={String(value)} />;
        if (def.type === 'select' || def.type === 'multi_select') {
          const values = (Array.isArray(value) ? value : [value]).map(String);
          return values.map((v) => {
            const option = def.options.find((o) => o.value === v);
            return (
              <span key={`${def.key}:${v}`} className={classes.field} style={chipStyle(option ? optionColor(option) : null)} title={`${def.label}: ${option?.label ?? v}`} data-card-field={def.key}>
                {option?.label ?? v}
              </span>
            );
          });
        }
        const text = formatCustom(def, value, FORMAT);
        return (
          <span key={def.key} className={classes.field} title={`${def.label}: ${text}`} data-card-field={def.key}>
            {def.type === 'boolean' ? (value ? def.label : `No ${def.label.toLowerCase()}`) : `${def.label} ${text}`}
          </span>
        );
      })}
    </>
  );
}

const today = () => new Date().toISOString().slice(0, 10);

/** Days in the stage and the next step (an open follow-up, overdue in red, or "no next step"), when the board provides them. */
function HealthMarks({ deal }: { deal: DealRecord }) {
  const index = useDealHealthIndex();
  if (!index) return null;
  const { stageEnteredAt, nextFollowUp } = healthOf(index, deal);
  const days = stageEnteredAt ? daysSince(stageEnteredAt, Date.now()) : null;
  return (
    <span className={classes.health} data-card-health>
      {days !== null && (
        <span title={`${days} day${days === 1 ? '' : 's'} in this stage`} data-days-in-stage={days}>
          {days}d in stage
        </span>
      )}
      {nextFollowUp ? (
        <span
          className={nextFollowUp.overdue ? classes.overdue : undefined}
          title={`${nextFollowUp.overdue ? 'Overdue follow-up' : 'Next follow-up'}: ${nextFollowUp.subject ?? 'follow up'}, due ${formatDateTime(nextFollowUp.dueAt)}`}
          data-next-step={nextFollowUp.overdue ? 'overdue' : 'scheduled'}
          style={{ display: 'inline-flex', alignItems: 'center', gap: 2 }}
        >
          <IconBell size={12} />
          {nextFollowUp.overdue ? 'overdue' : formatDate(nextFollowUp.dueAt)}
        </span>
      ) : (
        <span className={classes.noStep} title="No open follow-up: plan the next step" data-next-step="none">
          no next step
        </span>
      )}
    </span>
  );
}

/**
 * What a card shows. Memoized: dragging re-renders every card (dnd-kit's context changes when a
 * drag starts or ends), and the card's content has not changed then.
 */
const DealCardBody = memo(function DealCardBody({
  deal,
  organizationName,
  ownerName,
  menuSpace = false,
  fields,
}: {
  deal: DealRecord;
  organizationName: string | null;
  ownerName: string | null;
  /** leave room for the menu button that sits over the card's corner */
  menuSpace?: boolean;
  fields: readonly FieldDefinition[];
}) {
  const customShown = fields.some((f) => hasValue(deal.custom?.[f.key]));
  const overdue = deal.status === 'open' && deal.expectedCloseDate !== null && deal.expectedCloseDate < today();
  return (
    <>
      <div className={classes.row} style={{ alignItems: 'flex-start' }}>
        <div className={classes.title} title={deal.title} data-card-title>
          {deal.title}
        </div>
        {menuSpace && <span className={classes.menuSpace} />}
      </div>
      <div className={classes.orgRow}>
        <span className={classes.org}>{organizationName ?? '\u00a0'}</span>
        {deal.status === 'open' && <HealthMarks deal={deal} />}
      </div>
      <div className={classes.row} style={{ marginTop: 4 }}>
        <div className={classes.row} style={{ justifyContent: 'flex-start' }}>
          <span className={classes.amount}>{formatMoney(deal.amount, deal.currency)}</span>
          {deal.status !== 'open' && <span className={`${classes.status} ${deal.status === 'won' ? classes.won : classes.lost}`}>{deal.status}</span>}
        </div>
        <div className={classes.meta}>
          {deal.expectedCloseDate && (
            <span
              className={overdue ? classes.overdue : undefined}
              title={overdue ? 'Expected close date has passed' : 'Expected close'}
              style={{ display: 'inline-flex', alignItems: 'center', gap: 2 }}
            >
              <IconCalendar size={12} />
              {formatDate(deal.expectedCloseDate)}
            </span>
          )}
          {ownerName && (
            <span className={classes.avatar} title={`Owner: ${ownerName}`}>
              {initials(ownerName)}
            </span>
          )}
        </div>
      </div>
      {(deal.labels.length > 0 || customShown) && (
        <div className={classes.labels}>
          {customShown && <CardFields deal={deal} fields={fields} />}
          {deal.labels.slice(0, 3).map((l) => (
            <span key={l} className={classes.label}>
              {l}
            </span>
          ))}
          {deal.labels.length > 3 && <span className={classes.label}>+{deal.labels.length - 3}</span>}
        </div>
      )}
    </>
  );
});

/** The floating copy that follows the pointer while dragging. */
export function DealCardOverlay(props: { deal: DealRecord; organizationName: string | null; ownerName: string | null; fields: readonly FieldDefinition[] }) {
  return (
    <div className={`${classes.card} ${classes.overlay}`}>
      <DealCardBody {...props} />
    </div>
  );
}

function DealCardImpl({ deal, organizationName, ownerName, stages, actions, readOnly, fields }: Props) {
  const { attributes, listeners, setNodeRef, isDragging } = useDraggable({ id: deal.id, data: { deal }, disabled: readOnly });
  const [menuOpen, setMenuOpen] = useState(false);
  if (readOnly) {
    // nothing to drag and no menu (its actions all edit): the card only opens the deal
    return (
      <div
        ref={setNodeRef}
        className={`${classes.card} ${classes.readOnly}`}
        data-testid={`deal-card-${deal.id}`}
        data-deal-title={deal.title}
        role="link"
        tabIndex={0}
        onClick={() => actions.open(deal)}
        onKeyDown={(e) => e.key === 'Enter' && actions.open(deal)}
      >
        <DealCardBody deal={deal} organizationName={organizationName} ownerName={ownerName} fields={fields} />
      </div>
    );
  }
  const trigger = (
    <button
      type="button"
      className={classes.menuButton}
      aria-label={`Actions for ${deal.title}`}
      data-testid={`deal-menu-${deal.id}`}
      onPointerDown={(e) => e.stopPropagation()}
      onKeyDown={(e) => e.stopPropagation()}
      onClick={(e) => {
        e.stopPropagation();
        setMenuOpen((v) => !v);
      }}
    >
      <IconDots size={16} />
    </button>
  );
  const menu = !menuOpen ? (
    trigger
  ) : (
    <Menu position="bottom-end" withinPortal shadow="md" width={220} opened onChange={setMenuOpen}>
      <Menu.Target>{trigger}</Menu.Target>
      <Menu.Dropdown onClick={(e) => e.stopPropagation()} onPointerDown={(e) => e.stopPropagation()}>
        <Menu.Item leftSection={<IconExternalLink size={14} />} onClick={() => actions.open(deal)}>
          Open deal
        </Menu.Item>
        <Menu.Label>Move to stage</Menu.Label>
        {stages
          .filter((s) => s.id !== deal.stageId)
          .map((s) => (
            <Menu.Item key={s.id} leftSection={<IconArrowRight size={14} />} onClick={() => actions.move(deal, s.id)} data-testid={`move-to-${s.name}`}>
              {s.name}
            </Menu.Item>
          ))}
        <Menu.Divider />
        {deal.status === 'open' ? (
          <>
            <Menu.Item color="teal" leftSection={<IconTrophy size={14} />} onClick={() => actions.won(deal)} data-testid="mark-won">
              Mark won
            </Menu.Item>
            <Menu.Item color="red" leftSection={<IconThumbDown size={14} />} onClick={() => actions.lost(deal)} data-testid="mark-lost">
              Mark lost…
            </Menu.Item>
          </>
        ) : (
          <Menu.Item leftSection={<IconRotateClockwise size={14} />} onClick={() => actions.reopen(deal)} data-testid="mark-reopen">
            Reopen
          </Menu.Item>
        )}
      </Menu.Dropdown>
    </Menu>
  );
  // The menu button sits beside the card, over its corner, not inside it: a button inside the
  // draggable card (role=button) would be a nested interactive control. The card's accessible name
  // is its text; dnd-kit describes how to pick it up (the board's screen reader instructions).
  return (
    <div className={classes.cardWrap}>
      <div
        ref={setNodeRef}
        className={`${classes.card}${isDragging ? ` ${classes.dragging}` : ''}`}
        data-testid={`deal-card-${deal.id}`}
        data-deal-title={deal.title}
        {...attributes}
        {...listeners}
        aria-roledescription="Draggable deal"
        onClick={() => actions.open(deal)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            actions.open(deal);
            return;
          }
          listeners?.onKeyDown?.(e);
        }}
      >
        <DealCardBody deal={deal} organizationName={organizationName} ownerName={ownerName} menuSpace fields={fields} />
      </div>
      <div className={classes.menuSlot}>{menu}</div>
    </div>
  );
}

export const DealCard = memo(DealCardImpl);
