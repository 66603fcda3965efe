/**
 * Won / lost / reopen for a deal: the actions (`useDealOutcome`, for the board and the deal page)
 * and the deal page's buttons. Lost asks for a reason (kept on the deal as lostReason).
 */
import { useCallback, useState } from 'react';
import { Button, Chip, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconRotateClockwise, IconThumbDown, IconTrophy } from '@tabler/icons-react';
import type { DealRecord } from '../../../shared/schemas.js';
import { useKith } from '../../app/KithContext.js';
import { useSave } from '../../components/forms.js';
import { PermittedButton } from '../../components/Permitted.js';
import { useCan } from '../../hooks/usePermissions.js';

const COMMON_REASONS = ['Price', 'Chose a competitor', 'No budget', 'No decision / went silent', 'Timing', 'Missing feature'];

type DealRef = Pick<DealRecord, 'id' | 'title'>;

export function useDealOutcome() {
  const store = useKith();
  const { save } = useSave();
  const [losing, setLosing] = useState<DealRef | null>(null);

  const markWon = useCallback(
    async (deal: DealRef) => {
      const done = await save(() => store.update('deals', deal.id, { status: 'won' }));
      if (done) {
        notifications.show({
          color: 'teal',
          title: 'Deal won',
          message: (
            <Group gap="xs">
              <Text size="sm">“{deal.title}” is marked won.</Text>
              <Button size="compact-xs" variant="subtle" onClick={() => void store.update('deals', deal.id, { status: 'open' })}>
                Undo
              </Button>
            </Group>
          ),
        });
      }
    },
    [save, store],
  );

  const reopen = useCallback((deal: DealRef) => save(() => store.update('deals', deal.id, { status: 'open', lostReason: null }), { success: `“${deal.title}” is open again` }), [save, store]);

  const modal = losing ? <LostReasonModal deal={losing} onClose={() => setLosing(null)} /> : null;
  return { markWon, markLost: setLosing as (deal: DealRef) => void, reopen, modal };
}

/** Won and Lost for an open deal, Reopen for a closed one; disabled, saying why, for whoever may not edit deals. */
export function DealOutcomeButtons({ deal, outcome }: { deal: Pick<DealRecord, 'id' | 'title' | 'status'>; outcome: ReturnType<typeof useDealOutcome> }) {
  const permission = useCan('update', 'deals');
  if (deal.status !== 'open') {
    return (
      <PermittedButton permission={permission} variant="light" leftSection={<IconRotateClockwise size={16} />} onClick={() => void outcome.reopen(deal)} data-testid="deal-reopen">
        Reopen
      </PermittedButton>
    );
  }
  return (
    <>
      <PermittedButton permission={permission} color="teal" leftSection={<IconTrophy size={16} />} onClick={() => void outcome.markWon(deal)} data-testid="deal-won">
        Won
      </PermittedButton>
      <PermittedButton permission={permission} color="red" variant="light" leftSection={<IconThumbDown size={16} />} onClick={() => outcome.markLost(deal)} data-testid="deal-lost">
        Lost
      </PermittedButton>
    </>
  );
}

function LostReasonModal({ deal, onClose }: { deal: DealRef; onClose(): void }) {
  const store = useKith();
  const { save, saving } = useSave();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  async function submit() {
    const text = reason.trim();
    if (!text) {
      setError('Say why the deal was lost; it helps the next one');
      return;
    }
    const done = await save(() => store.update('deals', deal.id, { status: 'lost', lostReason: text }), { success: `“${deal.title}” marked lost` });
    if (done) onClose();
  }
  return (
    <Modal opened onClose={onClose} title={`Mark “${deal.title}” as lost`} data-testid="lost-modal">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Stack gap="sm">
          <TextInput
            label="Reason"
            withAsterisk
            data-autofocus
            placeholder="Why was it lost?"
            value={reason}
            onChange={(e) => {
              setReason(e.currentTarget.value);
              setError(null);
            }}
            error={error}
            data-testid="lost-reason"
          />
          <Group gap={6}>
            {COMMON_REASONS.map((r) => (
              <Chip
                key={r}
                size="xs"
                checked={reason === r}
                onChange={() => {
                  setReason(r);
                  setError(null);
                }}
              >
                {r}
              </Chip>
            ))}
          </Group>
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button color="red" type="submit" loading={saving} data-testid="lost-submit">
              Mark lost
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
