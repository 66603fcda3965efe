/** A record's labels as compact badges: the first few, then "+n". */
import { Badge, Group, Tooltip } from '@mantine/core';

function labelColor(label: string): string {
  const palette = ['blue', 'teal', 'grape', 'orange', 'cyan', 'pink', 'lime', 'indigo', 'yellow', 'violet'];
  let h = 0;
  for (let i = 0; i < label.length; i++) h = (h * 31 + label.charCodeAt(i)) | 0;
  return palette[Math.abs(h) % palette.length];
}

export function LabelBadges({ labels, max = 3, size = 'sm' }: { labels: readonly string[] | null | undefined; max?: number; size?: 'xs' | 'sm' | 'md' }) {
  const list = labels ?? [];
  if (list.length === 0) return null;
  const shown = list.slice(0, max);
  const rest = list.slice(max);
  return (
    <Group gap={4} wrap="nowrap" style={{ overflow: 'hidden' }}>
      {shown.map((l) => (
        <Badge key={l} size={size} variant="light" color={labelColor(l)} radius="sm" style={{ textTransform: 'none', flexShrink: 0 }}>
          {l}
        </Badge>
      ))}
      {rest.length > 0 && (
        <Tooltip label={rest.join(', ')}>
          <Badge size={size} variant="default" radius="sm" style={{ textTransform: 'none', flexShrink: 0 }}>
            +{rest.length}
          </Badge>
        </Tooltip>
      )}
    </Group>
  );
}
