/**
 * Settings → Pipelines and stages: owners create a pipeline (it starts with the default stages),
 * rename it, make it the default; and edit its stages in order — name and win probability (percent
 * here, 0–1 stored, as the deal form shows it), add one, reorder by dragging (pointer or keyboard),
 * delete one no deal uses (otherwise the refusal says how many do). Others see them to read.
 * Pipelines and stages are replicated collections: read and written in the local store, offline
 * too; the server keeps stage positions 0..n-1 and one default pipeline.
 */
import { useEffect, useState } from 'react';
import { ActionIcon, Alert, Badge, Button, Group, Modal, NumberInput, Select, Stack, Text, TextInput, Tooltip } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconPencil, IconPlus, IconStar, IconTrash } from '@tabler/icons-react';
import { PipelineCreate } from '../../../../shared/schemas.js';
import type { PipelineRecord, StageRecord } from '../../../../shared/schemas.js';
import { useKith } from '../../../app/KithContext.js';
import { useRxCount } from '../../../hooks/useRx.js';
import { usePermissions } from '../../../hooks/usePermissions.js';
import { usePipelinesAndStages } from '../../../hooks/usePipelinesAndStages.js';
import { errorMessage, numberOrNull, schemaErrors, sentence, useSave } from '../../../components/forms.js';
import { percentToProbability, probabilityToPercent } from '../../../lib/format.js';
import { Section } from '../Section.js';
import { formErrorsOf, positionWrites, useFormWrite } from './model.js';
import { SortableList } from './SortableList.js';

/** A percent typed in the form → the stored probability, or an error to show. */
function probabilityOf(value: string | number): { probability: number | null } | { error: string } {
  const percent = numberOrNull(value);
  if (percent === null) return { probability: null };
  if (percent < 0 || percent > 100) return { error: 'Must be between 0% and 100%' };
  return { probability: percentToProbability(percent) };
}

function PipelineForm({ pipeline, onClose, onCreated }: { pipeline?: PipelineRecord; onClose(): void; onCreated(id: string): void }) {
  const store = useKith();
  const { write, busy } = useFormWrite();
  const form = useForm({ initialValues: { name: pipeline?.name ?? '' } });

  async function submit({ name }: { name: string }) {
    const input = { name: name.trim() };
    const errors = schemaErrors(PipelineCreate, input);
    if (Object.keys(errors).length) return form.setErrors(errors);
    if (pipeline) {
      if (input.name !== pipeline.name && !(await write(form, () => store.update('pipelines', pipeline.id, input), 'Pipeline renamed'))) return;
      return onClose();
    }
    const created = await write(form, () => store.create('pipelines', input), `${input.name} created with the default stages`);
    if (created) {
      onCreated(String(created.id));
      onClose();
    }
  }

  return (
    <Modal opened onClose={onClose} title={<Text fw={600}>{pipeline ? `Rename ${pipeline.name}` : 'New pipeline'}</Text>}>
      <form onSubmit={form.onSubmit((v) => void submit(v))} noValidate data-testid="pipeline-form">
        <Stack gap="sm">
          {form.errors._form && <Alert color="red">{form.errors._form}</Alert>}
          <TextInput label="Name" required data-autofocus {...form.getInputProps('name')} data-testid="pipeline-name" />
          {!pipeline && (
            <Text size="xs" c="dimmed">
              It starts with the stages Lead, Qualified, Proposal and Negotiation; change them afterwards.
            </Text>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy} data-testid="pipeline-save">
              {pipeline ? 'Rename' : 'Create pipeline'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** One stage: name and probability edited in place (Enter or leaving the field saves), delete. */
function StageRow({ stage, canEdit }: { stage: StageRecord; canEdit: boolean }) {
  const store = useKith();
  // counted from the store's stageId index (a stage id is unique across pipelines): a 100,000-deal
  // pipeline is not read. A selector the index does not cover alone (pipelineId too) made RxDB read
  // every deal of the stage, which held up every other read of the store for seconds.
  const deals = useRxCount('deals', { selector: { stageId: stage.id } }).count;
  const [name, setName] = useState(stage.name);
  const [percent, setPercent] = useState<string | number>(probabilityToPercent(stage.probability) ?? '');
  const [errors, setErrors] = useState<{ name?: string; probability?: string; row?: string }>({});
  useEffect(() => setName(stage.name), [stage.name]);
  useEffect(() => setPercent(probabilityToPercent(stage.probability) ?? ''), [stage.probability]);

  async function commit() {
    const p = probabilityOf(percent);
    if ('error' in p) return setErrors({ probability: p.error });
    if (!name.trim()) return setErrors({ name: 'Must not be empty' });
    const patch: Record<string, unknown> = {};
    if (name.trim() !== stage.name) patch.name = name.trim();
    if (p.probability !== stage.probability) patch.probability = p.probability;
    setErrors({});
    if (Object.keys(patch).length === 0) return;
    try {
      await store.update('stages', stage.id, patch);
    } catch (e) {
      const { name: nameError, probability, _form } = formErrorsOf(e);
      setErrors({ name: nameError, probability, row: _form ?? (nameError || probability ? undefined : sentence(errorMessage(e))) });
    }
  }

  async function remove() {
    setErrors({});
    try {
      await store.remove('stages', stage.id);
    } catch (e) {
      setErrors({ row: sentence(errorMessage(e)) });
    }
  }

  if (!canEdit) {
    return (
      <Group justify="space-between" data-testid={`stage-${stage.name}`}>
        <Text size="sm" fw={500}>
          {stage.name}
        </Text>
        <Text size="sm" c="dimmed">
          {stage.probability === null ? 'no probability' : `${probabilityToPercent(stage.probability)}%`} · {deals} {deals === 1 ? 'deal' : 'deals'}
        </Text>
      </Group>
    );
  }

  return (
    <Stack gap={2} data-testid={`stage-${stage.name}`}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void commit();
        }}
      >
        <Group gap="xs" wrap="nowrap" align="flex-start">
          <TextInput
            aria-label={`Name of stage ${stage.name}`}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            onBlur={() => void commit()}
            error={errors.name}
            style={{ flex: 1 }}
            size="xs"
            data-testid="stage-name"
          />
          <NumberInput
            aria-label={`Probability of stage ${stage.name} (percent)`}
            placeholder="—"
            value={percent}
            onChange={setPercent}
            onBlur={() => void commit()}
            error={errors.probability}
            min={0}
            max={100}
            decimalScale={2}
            suffix="%"
            hideControls
            w={80}
            size="xs"
            data-testid="stage-probability"
          />
          <Text size="xs" c="dimmed" w={64} mt={6} ta="right" visibleFrom="sm">
            {deals} {deals === 1 ? 'deal' : 'deals'}
          </Text>
          <Tooltip label={deals > 0 ? `Used by ${deals} ${deals === 1 ? 'deal' : 'deals'}: move them first` : 'Delete stage'}>
            <ActionIcon variant="subtle" color="red" mt={2} aria-label={`Delete stage ${stage.name}`} onClick={() => void remove()} data-testid="stage-delete">
              <IconTrash size={16} />
            </ActionIcon>
          </Tooltip>
        </Group>
        {/* a hidden submit: Enter in either input saves the row */}
        <button type="submit" hidden aria-hidden tabIndex={-1} />
      </form>
      {errors.row && (
        <Text size="xs" c="red" data-testid="stage-error">
          {errors.row}
        </Text>
      )}
    </Stack>
  );
}

function AddStage({ pipelineId }: { pipelineId: string }) {
  const store = useKith();
  const { write, busy } = useFormWrite();
  const form = useForm<{ name: string; probability: string | number }>({ initialValues: { name: '', probability: '' } });

  async function submit(v: { name: string; probability: string | number }) {
    const p = probabilityOf(v.probability);
    if ('error' in p) return form.setErrors({ probability: p.error });
    if (!v.name.trim()) return form.setErrors({ name: 'Must not be empty' });
    const created = await write(form, () => store.create('stages', { pipelineId, name: v.name.trim(), probability: p.probability }), `Stage ${v.name.trim()} added`);
    if (created) form.reset();
  }

  return (
    <form onSubmit={form.onSubmit((v) => void submit(v))} noValidate data-testid="stage-add-form">
      <Group gap="xs" align="flex-start" wrap="nowrap">
        <TextInput aria-label="New stage name" placeholder="New stage" {...form.getInputProps('name')} style={{ flex: 1 }} size="xs" data-testid="stage-add-name" />
        <NumberInput
          aria-label="New stage probability (percent)"
          placeholder="%"
          {...form.getInputProps('probability')}
          min={0}
          max={100}
          decimalScale={2}
          suffix="%"
          hideControls
          w={80}
          size="xs"
          data-testid="stage-add-probability"
        />
        <Button type="submit" size="xs" variant="light" leftSection={<IconPlus size={14} />} loading={busy} data-testid="stage-add">
          Add stage
        </Button>
      </Group>
      {form.errors._form && (
        <Text size="xs" c="red" mt={4}>
          {form.errors._form}
        </Text>
      )}
    </form>
  );
}

export function PipelinesSection() {
  const store = useKith();
  const { can } = usePermissions();
  const canEdit = can('update', 'pipelines') && can('update', 'stages');
  const { save } = useSave();
  const [chosen, setChosen] = useState<string | null>(null);
  const { pipelines, pipelineId, stages } = usePipelinesAndStages(chosen);
  const pipeline = pipelines.find((p) => p.id === pipelineId) ?? null;
  const [editing, setEditing] = useState<PipelineRecord | 'new' | null>(null);

  async function reorder(ids: string[]) {
    const positions = new Map(stages.map((s) => [s.id, s.position]));
    // in increasing new position: the server applies each move in turn and renumbers the others
    await save(async () => {
      for (const w of positionWrites(ids, (id) => positions.get(id) ?? -1)) await store.update('stages', w.id, { position: w.position });
    });
  }

  return (
    <Section id="pipelines" title="Pipelines and stages" description="The stages a deal moves through, in board order, with the win probability each stage gives its deals.">
      <Stack gap="md">
        <Group justify="space-between" align="flex-end">
          <Group gap="sm" align="flex-end">
            <Select
              label="Pipeline"
              data={pipelines.map((p) => ({ value: p.id, label: p.isDefault ? `${p.name} (default)` : p.name }))}
              value={pipelineId}
              onChange={(value) => value && setChosen(value)}
              allowDeselect={false}
              w={260}
              data-testid="pipelines-select"
            />
            {pipeline?.isDefault && (
              <Badge variant="light" color="teal" mb={8} data-testid="pipeline-default">
                Default
              </Badge>
            )}
          </Group>
          {canEdit && (
            <Group gap={4}>
              {pipeline && (
                <Button size="xs" variant="subtle" leftSection={<IconPencil size={14} />} onClick={() => setEditing(pipeline)} data-testid="pipeline-rename">
                  Rename
                </Button>
              )}
              {pipeline && !pipeline.isDefault && (
                <Button
                  size="xs"
                  variant="subtle"
                  leftSection={<IconStar size={14} />}
                  onClick={() => void save(() => store.update('pipelines', pipeline.id, { isDefault: true }), { success: `${pipeline.name} is the default pipeline` })}
                  data-testid="pipeline-make-default"
                >
                  Make default
                </Button>
              )}
              <Button size="xs" variant="light" leftSection={<IconPlus size={14} />} onClick={() => setEditing('new')} data-testid="pipeline-new">
                New pipeline
              </Button>
            </Group>
          )}
        </Group>
        {pipeline && (
          <Stack gap={6}>
            {canEdit && (
              <Group gap="xs" px={8} wrap="nowrap">
                <Text size="xs" c="dimmed" style={{ flex: 1 }} pl={34}>
                  Stage
                </Text>
                <Text size="xs" c="dimmed" w={80}>
                  Probability
                </Text>
                <Text size="xs" c="dimmed" w={64} ta="right" visibleFrom="sm">
                  In use
                </Text>
                <span style={{ width: 28 }} />
              </Group>
            )}
            {stages.length === 0 ? (
              <Text size="sm" c="dimmed">
                This pipeline has no stages yet.
              </Text>
            ) : (
              <SortableList items={stages} nameOf={(s) => s.name} onReorder={reorder} disabled={!canEdit} testId="stages-list" render={(s) => <StageRow stage={s} canEdit={canEdit} />} />
            )}
            {canEdit && <AddStage key={pipeline.id} pipelineId={pipeline.id} />}
          </Stack>
        )}
        {!canEdit && (
          <Text size="xs" c="dimmed">
            Only owners change pipelines and stages.
          </Text>
        )}
      </Stack>
      {editing && <PipelineForm key={editing === 'new' ? 'new' : editing.id} pipeline={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} onCreated={(id) => setChosen(id)} />}
    </Section>
  );
}
