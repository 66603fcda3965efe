/**
 * Archive / restore / delete for a record page, with a confirmation before deleting, and the
 * "archived" banner. Who may not archive or restore sees the button disabled, saying why; delete
 * is offered only to who may delete (owners).
 */
import { Alert, Button, Group, Menu, Modal, Text, ActionIcon } from '@mantine/core';
import { IconArchive, IconArchiveOff, IconDots, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useKith } from '../../app/KithContext.js';
import type { CollectionName } from '../../data/index.js';
import { usePermissions } from '../../hooks/usePermissions.js';
import { formatDate } from '../../lib/format.js';
import { useSave } from '../forms.js';
import { PermittedButton } from '../Permitted.js';

export function RecordActions({ collection, id, name, archivedAt, onDeleted }: { collection: CollectionName; id: string; name: string; archivedAt: string | null; onDeleted: () => void }) {
  const store = useKith();
  const { save, saving } = useSave();
  const [confirming, setConfirming] = useState(false);
  const { check, can } = usePermissions();
  const canDelete = can('delete', collection);

  return (
    <Group gap="xs">
      {archivedAt ? (
        <PermittedButton
          permission={check('restore', collection)}
          variant="default"
          leftSection={<IconArchiveOff size={16} />}
          loading={saving}
          onClick={() => void save(() => store.restore(collection, id), { success: `${name} restored` })}
          data-testid="record-restore"
        >
          Restore
        </PermittedButton>
      ) : (
        <PermittedButton
          permission={check('archive', collection)}
          variant="default"
          leftSection={<IconArchive size={16} />}
          loading={saving}
          onClick={() => void save(() => store.archive(collection, id), { success: `${name} archived` })}
          data-testid="record-archive"
        >
          Archive
        </PermittedButton>
      )}
      {canDelete && (
        <Menu position="bottom-end" withinPortal>
          <Menu.Target>
            <ActionIcon variant="default" size={36} aria-label="More actions" data-testid="record-more">
              <IconDots size={16} />
            </ActionIcon>
          </Menu.Target>
          <Menu.Dropdown>
            <Menu.Item color="red" leftSection={<IconTrash size={14} />} onClick={() => setConfirming(true)} data-testid="record-delete">
              Delete permanently
            </Menu.Item>
          </Menu.Dropdown>
        </Menu>
      )}
      <Modal opened={confirming} onClose={() => setConfirming(false)} title={<Text fw={600}>Delete {name}?</Text>} size="sm">
        <Text size="sm">It is removed for everyone, on every device. Archiving keeps it out of the way but recoverable.</Text>
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={() => setConfirming(false)}>
            Cancel
          </Button>
          <Button
            color="red"
            data-testid="record-delete-confirm"
            onClick={async () => {
              setConfirming(false);
              const ok = await save(
                async () => {
                  await store.remove(collection, id);
                  return true;
                },
                { success: `${name} deleted` },
              );
              if (ok) onDeleted();
            }}
          >
            Delete
          </Button>
        </Group>
      </Modal>
    </Group>
  );
}

export function ArchivedBanner({ archivedAt, noun }: { archivedAt: string | null; noun: string }) {
  if (!archivedAt) return null;
  return (
    <Alert color="gray" variant="light" icon={<IconArchive size={18} />} data-testid="archived-banner">
      This {noun} was archived on {formatDate(archivedAt)}. It is hidden from lists until restored.
    </Alert>
  );
}
