/**
 * Quick create (from the command palette, the board and the `n` shortcut): a dialog with the
 * views' own organization, person or deal form; the new record opens once it is saved. Asking for
 * something the signed-in role may not create opens nothing.
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { Modal } from '@mantine/core';
import { useLocation } from 'wouter';
import { useKith } from '../../app/KithContext.js';
import type { CollectionName } from '../../data/index.js';
import { usePermissions } from '../../hooks/usePermissions.js';
import { DealForm } from '../../views/deals/DealForm.js';
import { OrganizationForm } from '../../views/organizations/OrganizationForm.js';
import { PersonForm } from '../../views/people/PersonForm.js';
import { useSave } from '../forms.js';
import { useLabelSuggestions } from '../records/useLabelSuggestions.js';

export type CreateKind = 'organization' | 'person' | 'deal';
export interface CreateDefaults {
  organizationId?: string | null;
  personId?: string | null;
  pipelineId?: string | null;
  stageId?: string | null;
  name?: string;
}

interface QuickCreateApi {
  openCreate(kind: CreateKind, defaults?: CreateDefaults): void;
}

const QuickCreateContext = createContext<QuickCreateApi>({ openCreate: () => undefined });

export function useQuickCreate(): QuickCreateApi {
  return useContext(QuickCreateContext);
}

export const CREATE_COLLECTION: Record<CreateKind, CollectionName> = { organization: 'organizations', person: 'people', deal: 'deals' };
const TITLES: Record<CreateKind, string> = { organization: 'New organization', person: 'New person', deal: 'New deal' };

export function QuickCreateProvider({ children }: { children: ReactNode }) {
  const { can } = usePermissions();
  const [state, setState] = useState<{ kind: CreateKind; defaults: CreateDefaults; seq: number } | null>(null);
  const openCreate = useCallback(
    (kind: CreateKind, defaults: CreateDefaults = {}) => {
      if (can('create', CREATE_COLLECTION[kind])) setState((s) => ({ kind, defaults, seq: (s?.seq ?? 0) + 1 }));
    },
    [can],
  );
  const api = useMemo(() => ({ openCreate }), [openCreate]);
  const close = () => setState(null);
  return (
    <QuickCreateContext.Provider value={api}>
      {children}
      <Modal opened={state !== null} onClose={close} title={state ? TITLES[state.kind] : ''} size="lg" data-testid="quick-create">
        {state && <CreateForm key={state.seq} kind={state.kind} defaults={state.defaults} onDone={close} />}
      </Modal>
    </QuickCreateContext.Provider>
  );
}

function CreateForm({ kind, defaults, onDone }: { kind: CreateKind; defaults: CreateDefaults; onDone(): void }) {
  const store = useKith();
  const [, navigate] = useLocation();
  const { save } = useSave();
  const collection = CREATE_COLLECTION[kind];
  const labelSuggestions = useLabelSuggestions(collection);

  /** Creates the record, then opens it; undefined when the write failed (the form shows why). */
  const create = async (payload: Record<string, unknown>, form: { setErrors(e: Record<string, string>): void }, success: string) => {
    const created = await save(() => store.create(collection, payload), { form, success });
    if (created) {
      onDone();
      navigate(`/${collection}/${created.id as string}`);
    }
    return created;
  };
  const common = { labelSuggestions, autoFocus: true, onCancel: onDone };

  if (kind === 'organization') {
    return (
      <OrganizationForm
        {...common}
        defaults={{ name: defaults.name ?? '' }}
        submitLabel="Create organization"
        onSubmit={(payload, form) => create(payload, form, `Organization “${payload.name}” created`)}
      />
    );
  }
  if (kind === 'person') {
    return (
      <PersonForm
        {...common}
        defaults={{ name: defaults.name ?? '', organizationId: defaults.organizationId ?? null }}
        submitLabel="Add person"
        onSubmit={(payload, form) => create(payload, form, `${payload.name} added`)}
      />
    );
  }
  return (
    <DealForm
      {...common}
      defaults={{
        title: defaults.name ?? '',
        organizationId: defaults.organizationId ?? null,
        primaryPersonId: defaults.personId ?? null,
        pipelineId: defaults.pipelineId ?? undefined,
        stageId: defaults.stageId ?? undefined,
      }}
      submitLabel="Create deal"
      onSubmit={(payload, form) => create(payload, form, `Deal “${payload.title}” created`)}
    />
  );
}
