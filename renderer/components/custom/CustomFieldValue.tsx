/**
 * One custom value for reading (tables, board cards, detail headers): formatted per type — select
 * options as badges in their colors, money with its currency, dates, links for URLs, emails,
 * phones and references (the referenced record's name, from the local store).
 */
import { Anchor, Badge, Group, Text } from '@mantine/core';
import { Link } from 'wouter';
import type { FieldDefinition, FieldOption } from '../../../shared/customFields.js';
import { useRxDoc } from '../../hooks/useRx.js';
import { formatDate, formatDateTime, formatMoney } from '../../lib/format.js';
import { referenceTarget } from './useCustomFields.js';

const stop = (e: React.MouseEvent) => e.stopPropagation();

/** A Mantine color name or #rrggbb for an option (gray when it has none). */
export function optionColor(option: FieldOption | undefined): string {
  return option?.color || 'gray';
}

export function OptionBadge({ option, value, size = 'sm' }: { option: FieldOption | undefined; value: string; size?: 'xs' | 'sm' }) {
  return (
    <Badge size={size} variant="light" color={optionColor(option)} radius="sm" style={{ textTransform: 'none', flexShrink: 0 }} data-option={value}>
      {option?.label ?? value}
    </Badge>
  );
}

function ReferenceName({ def, id }: { def: FieldDefinition; id: string }) {
  const target = referenceTarget(def.referenceTo);
  const { doc, loading } = useRxDoc<Record<string, unknown>>(target.collection, id);
  const name = doc ? String(doc[target.labelField] ?? '') || 'Untitled' : loading ? '…' : `Unknown ${target.noun}`;
  const href = doc ? target.hrefOf(id) : null;
  return href ? (
    <Anchor component={Link} href={href} size="sm" onClick={stop} truncate>
      {name}
    </Anchor>
  ) : (
    <Text size="sm" c={doc ? undefined : 'dimmed'} span truncate>
      {name}
    </Text>
  );
}

export function CustomFieldValue({ def, value, size = 'sm' }: { def: FieldDefinition; value: unknown; size?: 'xs' | 'sm' }) {
  if (value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) return null;
  const text = (t: string) => (
    <Text size={size} span truncate title={t}>
      {t}
    </Text>
  );
  switch (def.type) {
    case 'select':
      return <OptionBadge option={def.options.find((o) => o.value === value)} value={String(value)} size={size === 'sm' ? 'sm' : 'xs'} />;
    case 'multi_select':
      return (
        <Group gap={4} wrap="nowrap" style={{ overflow: 'hidden' }}>
          {(Array.isArray(value) ? value : [value]).map((v) => (
            <OptionBadge key={String(v)} option={def.options.find((o) => o.value === v)} value={String(v)} size={size === 'sm' ? 'sm' : 'xs'} />
          ))}
        </Group>
      );
    case 'money': {
      const money = value as { amount: number; currency: string };
      return text(formatMoney(money.amount, money.currency));
    }
    case 'number':
      return text(typeof value === 'number' ? value.toLocaleString('en-US', { maximumFractionDigits: 6 }) : String(value));
    case 'date':
      return text(formatDate(String(value)));
    case 'datetime':
      return text(formatDateTime(String(value)));
    case 'boolean':
      return text(value ? 'Yes' : 'No');
    case 'url':
      return (
        <Anchor href={String(value)} target="_blank" rel="noreferrer" size={size} onClick={stop} truncate>
          {String(value).replace(/^https?:\/\//, '')}
        </Anchor>
      );
    case 'email':
      return (
        <Anchor href={`mailto:${String(value)}`} size={size} onClick={stop} truncate>
          {String(value)}
        </Anchor>
      );
    case 'phone':
      return (
        <Anchor href={`tel:${String(value).replace(/[^0-9+]/g, '')}`} size={size} onClick={stop} truncate>
          {String(value)}
        </Anchor>
      );
    case 'reference':
      return <ReferenceName def={def} id={String(value)} />;
    default:
      return text(String(value));
  }
}
