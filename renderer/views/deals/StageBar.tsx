/**
 * The stages of a deal's pipeline as a bar: the current one highlighted, the passed ones shaded;
 * clicking another stage moves the deal there. Inert for a closed deal (reopen it first) and,
 * saying why, for whoever may not edit deals.
 */
import { Group, UnstyledButton } from '@mantine/core';
import type { DealRecord, StageRecord } from '../../../shared/schemas.js';
import { deniedProps } from '../../components/Permitted.js';
import { useCan } from '../../hooks/usePermissions.js';

export function StageBar({ deal, stages, onMove }: { deal: DealRecord; stages: StageRecord[]; onMove(stageId: string): void }) {
  const permission = useCan('update', 'deals');
  const closed = deal.status !== 'open';
  const index = stages.findIndex((s) => s.id === deal.stageId);
  return (
    <Group gap={4} wrap="nowrap" data-testid="stage-bar">
      {stages.map((s, i) => {
        const current = s.id === deal.stageId;
        const passed = i < index;
        const inert = current || closed || !permission.allowed;
        const title = current ? `Current stage: ${s.name}` : closed ? `Reopen the deal to move it to ${s.name}` : (permission.reason ?? `Move to ${s.name}`);
        return (
          <UnstyledButton
            key={s.id}
            disabled={current || closed}
            onClick={() => onMove(s.id)}
            {...(current || closed ? {} : deniedProps(permission))}
            data-testid={`stage-step-${s.name}`}
            data-current={current}
            style={{
              flex: 1,
              padding: '6px 10px',
              textAlign: 'center',
              borderRadius: 6,
              fontSize: 13,
              fontWeight: current ? 700 : 500,
              color: current || passed ? 'white' : 'var(--mantine-color-gray-7)',
              background: current ? 'var(--mantine-color-indigo-7)' : passed ? 'var(--mantine-color-indigo-4)' : 'var(--mantine-color-gray-2)',
              cursor: inert ? 'default' : 'pointer',
              whiteSpace: 'nowrap',
              overflow: 'hidden',
              textOverflow: 'ellipsis',
            }}
            title={title}
          >
            {s.name}
          </UnstyledButton>
        );
      })}
    </Group>
  );
}
