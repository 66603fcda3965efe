/**
 * Settings → Import (SPEC §3 Import, §6): choose the entity and a CSV (or JSON rows) file, map its
 * columns (auto-mapped by header, remembered per entity on this device), choose the mode and the
 * match key, validate through the server's import session, review its report (errors first, by
 * row and column, with the row's values; downloadable as CSV), then commit the valid rows or all or
 * nothing with a progress bar fed by the session's progress, and see what was created, updated and
 * skipped. Import is a server operation: offline, the page says so and sends nothing. A role that
 * may not create records is never offered it. REST contract: docs/import-export.md.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Anchor, Badge, Button, Checkbox, FileInput, Group, Paper, Progress, Radio, SegmentedControl, Select, Stack, Table, Text, Title } from '@mantine/core';
import { IconAlertTriangle, IconCheck, IconDownload, IconFileImport, IconUpload } from '@tabler/icons-react';
import { Link } from 'wouter';
import type { CollectionName } from '../../../shared/collections.js';
import { useKith } from '../../app/KithContext.js';
import { useSession } from '../../app/session.js';
import { crmGet, crmSend } from '../../app/connection.js';
import { errorMessage } from '../../components/forms.js';
import { useCustomFields, useObjectTypes } from '../../components/custom/useCustomFields.js';
import { usePermissions } from '../../hooks/usePermissions.js';
import { useSyncStatus } from '../../hooks/useRx.js';
import { downloadText, FileProblem, importTargets, initialMapping, loadSavedMapping, readImportFile, reportCsv, saveMapping, type Mapping, type ParsedFile, type ReportRow } from './importFile.js';

type Mode = 'create' | 'update' | 'upsert';

interface Session {
  id: string;
  entity: string;
  state: 'validating' | 'validated' | 'committing' | 'committed' | 'failed';
  counts: { create: number; update: number; skip: number; error: number };
  progress: { done: number; total: number };
  rows: number;
  organizations: { create: number; names: string[] };
  columns: { column: string; field: string | null }[];
  commit: 'valid' | 'all' | null;
  error: string | null;
}

interface EntityChoice {
  value: string;
  label: string;
  collection: CollectionName;
  href: string;
}

const STANDARD: EntityChoice[] = [
  { value: 'organizations', label: 'Organizations', collection: 'organizations', href: '/organizations' },
  { value: 'people', label: 'People', collection: 'people', href: '/people' },
  { value: 'deals', label: 'Deals', collection: 'deals', href: '/deals' },
  { value: 'activities', label: 'Activities', collection: 'activities', href: '/activities' },
];

const DEFAULT_MATCH: Record<string, string> = { people: 'email', organizations: 'domain' };
const MODE_HELP: Record<Mode, string> = {
  create: 'New records; rows matching an existing record are skipped.',
  update: 'Changes existing records; a row matching none is an error.',
  upsert: 'Updates the records rows match, creates the others.',
};
const POLL_MS = 400;
const ERROR_PAGE = 100;
/** the mapping select's value for a column left out */
const LEAVE_OUT = '-';

/** Failures of a server call, said for this page: without the server there is no import. */
function importError(error: unknown): string {
  if ((error as { status?: unknown }).status === null) return `Import needs the server, and it cannot be reached (${errorMessage(error)}). Nothing was sent; try again when you are online.`;
  return errorMessage(error);
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

export function ImportView() {
  const store = useKith();
  const { connection } = useSession();
  const { can } = usePermissions();
  const status = useSyncStatus();
  const offline = status.state === 'offline';
  const { types } = useObjectTypes();

  const entities = useMemo<EntityChoice[]>(
    () => [...STANDARD, ...types.map((t) => ({ value: t.key, label: t.plural, collection: 'records' as const, href: `/objects/${t.key}` }))].filter((e) => can('create', e.collection)),
    [types, can],
  );
  const [entity, setEntity] = useState<string | null>(null);
  const choice = entities.find((e) => e.value === entity) ?? null;
  const { fields: customFields } = useCustomFields(choice ? (choice.collection === 'records' ? choice.value : choice.collection) : null);
  const targets = useMemo(() => (choice ? importTargets(choice.collection, customFields) : null), [choice, customFields]);

  const [file, setFile] = useState<File | null>(null);
  const [parsed, setParsed] = useState<ParsedFile | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [mapping, setMapping] = useState<Mapping>({});
  const [mode, setMode] = useState<Mode>('create');
  const [match, setMatch] = useState<string>('none');
  const [createMissing, setCreateMissing] = useState(true);

  const [session, setSession] = useState<Session | null>(null);
  const [errorRows, setErrorRows] = useState<ReportRow[]>([]);
  const [errorCursor, setErrorCursor] = useState<string | null>(null);
  const [commitRows, setCommitRows] = useState<'valid' | 'all'>('valid');
  const [busy, setBusy] = useState<null | 'validating' | 'committing' | 'report' | 'more'>(null);
  const [error, setError] = useState<string | null>(null);
  const polling = useRef(0);
  const reviewRef = useRef<HTMLDivElement>(null);
  const sessionId = session?.id ?? null;
  useEffect(() => {
    if (sessionId) reviewRef.current?.scrollIntoView({ block: 'start', behavior: 'smooth' });
  }, [sessionId]);

  useEffect(() => () => void (polling.current = -1), []);

  // a new entity or file: the mapping starts from what this device remembers, else the headers
  useEffect(() => {
    if (!parsed || !targets || !entity) return;
    setMapping(initialMapping(parsed.headers, loadSavedMapping(store.info.workspaceId, entity), targets));
  }, [parsed, targets, entity, store.info.workspaceId]);

  useEffect(() => {
    setMatch(entity ? (DEFAULT_MATCH[entity] ?? 'none') : 'none');
    setSession(null);
  }, [entity]);

  async function chooseFile(next: File | null) {
    setFile(next);
    setParsed(null);
    setSession(null);
    setFileError(null);
    setError(null);
    if (!next) return;
    try {
      setParsed(await readImportFile(next));
    } catch (e) {
      setFileError(e instanceof FileProblem ? e.message : `${next.name} could not be read: ${errorMessage(e)}`);
    }
  }

  const matchOptions = useMemo(() => {
    const options = [
      ...(entity === 'people' ? [{ value: 'email', label: 'Email' }] : []),
      ...(entity === 'organizations' ? [{ value: 'domain', label: 'Website domain' }] : []),
      { value: 'id', label: 'Kith id (an export’s id column)' },
      ...customFields.filter((f) => ['text', 'email', 'url', 'phone', 'number'].includes(f.type)).map((f) => ({ value: f.key, label: `${f.label} (custom field)` })),
      { value: 'none', label: 'Nothing (every row is new)' },
    ];
    return options;
  }, [entity, customFields]);

  async function loadErrors(id: string, cursor: string | null, replace: boolean) {
    const page = await crmGet<{ data: ReportRow[]; nextCursor: string | null }>(connection, `/imports/${id}/rows?outcome=error&limit=${ERROR_PAGE}${cursor ? `&cursor=${cursor}` : ''}`);
    setErrorRows((rows) => (replace ? page.data : [...rows, ...page.data]));
    setErrorCursor(page.nextCursor);
  }

  async function validate() {
    if (!parsed || !choice || !file) return;
    setError(null);
    setBusy('validating');
    setSession(null);
    try {
      saveMapping(store.info.workspaceId, choice.value, mapping);
      const options = { entity: choice.value, mode, match, mapping, createMissing };
      let next: Session;
      if (parsed.kind === 'json') {
        next = await crmSend<Session>(connection, 'POST', '/imports', { ...options, rows: parsed.rows });
      } else {
        const query = new URLSearchParams({ entity: choice.value, mode, match, mapping: JSON.stringify(mapping), createMissing: String(createMissing) });
        next = await crmSend<Session>(connection, 'POST', `/imports?${query}`, new Blob([file], { type: 'text/csv' }));
      }
      setSession(next);
      setCommitRows('valid');
      await loadErrors(next.id, null, true);
    } catch (e) {
      setError(importError(e));
    } finally {
      setBusy(null);
    }
  }

  async function commit() {
    if (!session) return;
    setError(null);
    setBusy('committing');
    const run = ++polling.current;
    try {
      let next = await crmSend<Session>(connection, 'POST', `/imports/${session.id}/commit`, { rows: commitRows });
      setSession(next);
      while (next.state === 'committing' && polling.current === run) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        next = await crmGet<Session>(connection, `/imports/${session.id}`);
        if (polling.current === run) setSession(next);
      }
      if (next.state === 'failed') setError(`The import failed: ${next.error ?? 'no reason given'}`);
      // rows the server refused at commit time (the data changed since validating) join the report
      if (next.counts.error !== session.counts.error) await loadErrors(session.id, null, true);
    } catch (e) {
      setError(importError(e));
    } finally {
      setBusy(null);
    }
  }

  async function downloadReport() {
    if (!session) return;
    setBusy('report');
    try {
      const rows: ReportRow[] = [];
      let cursor: string | null = null;
      do {
        const page: { data: ReportRow[]; nextCursor: string | null } = await crmGet(connection, `/imports/${session.id}/rows?outcome=error&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
        rows.push(...page.data);
        cursor = page.nextCursor;
      } while (cursor);
      downloadText(`${parsed?.name.replace(/\.[^.]+$/, '') ?? 'import'}-errors.csv`, reportCsv(rows));
    } catch (e) {
      setError(importError(e));
    } finally {
      setBusy(null);
    }
  }

  function reset() {
    polling.current++;
    setFile(null);
    setParsed(null);
    setSession(null);
    setErrorRows([]);
    setError(null);
  }

  if (entities.length === 0) {
    return (
      <Stack maw={980} mx="auto" gap="md" data-testid="import-page">
        <Title order={1} size="h2">
          Import
        </Title>
        <Alert color="gray" data-testid="import-not-allowed">
          Your role in this workspace cannot create records, so there is nothing to import here.
        </Alert>
      </Stack>
    );
  }

  const finished = session?.state === 'committed';
  const committing = session?.state === 'committing' || busy === 'committing';
  const toWrite = session ? session.counts.create + session.counts.update : 0;
  const mappedCount = Object.values(mapping).filter((v) => v !== null).length;

  return (
    <Stack maw={1100} mx="auto" gap="md" data-testid="import-page">
      <Group justify="space-between">
        <Title order={1} size="h2">
          Import
        </Title>
        <Anchor component={Link} href="/settings" size="sm">
          Back to settings
        </Anchor>
      </Group>
      {offline && (
        <Alert color="yellow" icon={<IconAlertTriangle size={18} />} data-testid="import-offline">
          You are offline. Import needs the server (it validates and writes the rows); your local data is fine. Come back when you are online.
        </Alert>
      )}
      {error && (
        <Alert color="red" title="Import" withCloseButton onClose={() => setError(null)} data-testid="import-error">
          {error}
        </Alert>
      )}

      <Paper withBorder radius="md" p="lg">
        <Title order={2} size="h4" mb="sm">
          1. File
        </Title>
        <Group align="flex-start" grow>
          <Select
            label="Import into"
            placeholder="Choose what the rows are"
            data={entities.map((e) => ({ value: e.value, label: e.label }))}
            value={entity}
            onChange={(v) => setEntity(v)}
            disabled={committing || finished}
            allowDeselect={false}
            data-testid="import-entity"
          />
          <FileInput
            label="File"
            description="CSV (any delimiter, UTF-8) or JSON rows"
            placeholder="Choose a .csv or .json file"
            styles={{ placeholder: { color: 'var(--mantine-color-dimmed)' } }}
            accept=".csv,.tsv,.txt,.json,text/csv,application/json"
            leftSection={<IconUpload size={16} />}
            value={file}
            onChange={(f) => void chooseFile(f)}
            disabled={committing || finished}
            clearable
            error={fileError}
            data-testid="import-file"
          />
        </Group>
        {parsed && (
          <Text size="sm" c="dimmed" mt="xs" data-testid="import-file-summary">
            {parsed.name}: {plural(parsed.headers.length, 'column')}
            {parsed.rows ? `, ${plural(parsed.rows.length, 'row')}` : `, ${(parsed.size / 1024).toFixed(parsed.size < 10240 ? 1 : 0)} KB`}
          </Text>
        )}
      </Paper>

      {parsed && choice && targets && (
        <Paper withBorder radius="md" p="lg" data-testid="import-mapping">
          <Title order={2} size="h4">
            2. Columns and matching
          </Title>
          <Text size="sm" c="dimmed" mb="sm">
            Each column goes to a field, mapped by its header; change any of them. Your choices are remembered for {choice.label.toLowerCase()} on this device.
          </Text>
          <Table striped withTableBorder verticalSpacing={6}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th w="25%">Column in the file</Table.Th>
                <Table.Th w="35%">Sample</Table.Th>
                <Table.Th>Imported as</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {parsed.headers.map((header) => (
                <Table.Tr key={header} data-testid={`import-column-${header}`}>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {header}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" c="dimmed" truncate maw={340}>
                      {parsed.sample
                        .map((r) => r[header])
                        .filter(Boolean)
                        .join(' · ') || '—'}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Select
                      aria-label={`Import column ${header} as`}
                      size="xs"
                      data={[{ group: 'Leave out', items: [{ value: LEAVE_OUT, label: targets.serverSet(header) ? 'Leave out (set by Kith)' : 'Leave out' }] }, ...groupOptions(targets.options)]}
                      value={mapping[header] ?? LEAVE_OUT}
                      onChange={(v) => setMapping((m) => ({ ...m, [header]: v && v !== LEAVE_OUT ? v : null }))}
                      searchable
                      allowDeselect={false}
                      disabled={committing || finished}
                      error={mapping[header] === null && !targets.serverSet(header) ? 'Not imported' : undefined}
                      data-testid={`import-map-${header}`}
                    />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Group mt="md" align="flex-end" gap="lg">
            <Stack gap={4}>
              <Text size="sm" fw={500} id="import-mode-label">
                Mode
              </Text>
              <SegmentedControl
                aria-labelledby="import-mode-label"
                value={mode}
                onChange={(v) => setMode(v as Mode)}
                disabled={committing || finished}
                data={[
                  { value: 'create', label: 'Create' },
                  { value: 'update', label: 'Update' },
                  { value: 'upsert', label: 'Create or update' },
                ]}
                data-testid="import-mode"
              />
            </Stack>
            <Select
              label="Match existing records by"
              data={matchOptions}
              value={match}
              onChange={(v) => v && setMatch(v)}
              allowDeselect={false}
              disabled={committing || finished}
              w={280}
              data-testid="import-match"
            />
            {choice.collection !== 'organizations' && choice.collection !== 'records' && (
              <Checkbox
                label="Create organizations the rows name that do not exist"
                checked={createMissing}
                onChange={(e) => setCreateMissing(e.currentTarget.checked)}
                disabled={committing || finished}
                data-testid="import-create-missing"
              />
            )}
          </Group>
          <Text size="xs" c="dimmed" mt={6}>
            {MODE_HELP[mode]}
          </Text>
          <Group mt="md">
            <Button
              leftSection={<IconFileImport size={16} />}
              onClick={() => void validate()}
              loading={busy === 'validating'}
              disabled={offline || mappedCount === 0 || committing || finished}
              data-testid="import-validate"
            >
              {session ? 'Check again' : 'Check the file'}
            </Button>
            {mappedCount === 0 && (
              <Text size="sm" c="red.8">
                Map at least one column.
              </Text>
            )}
            {busy === 'validating' && (
              <Text size="sm" c="dimmed">
                Sending and checking every row…
              </Text>
            )}
          </Group>
        </Paper>
      )}

      {session && choice && (
        <Paper withBorder radius="md" p="lg" data-testid="import-review" ref={reviewRef}>
          <Title order={2} size="h4" mb="sm">
            3. Review
          </Title>
          <Group gap="xs" mb="sm" data-testid="import-counts">
            <Badge color="teal.8" variant="light" size="lg" tt="none" data-testid="import-count-create">
              {plural(session.counts.create, 'new record')}
            </Badge>
            <Badge color="blue.8" variant="light" size="lg" tt="none" data-testid="import-count-update">
              {plural(session.counts.update, 'update')}
            </Badge>
            <Badge color="gray.7" variant="light" size="lg" tt="none" data-testid="import-count-skip">
              {plural(session.counts.skip, 'skipped row')}
            </Badge>
            <Badge color="red.8" variant="light" size="lg" tt="none" data-testid="import-count-error">
              {plural(session.counts.error, 'row')} in error
            </Badge>
            <Text size="sm" c="dimmed">
              of {plural(session.rows, 'row')}
            </Text>
          </Group>
          {session.organizations.create > 0 && (
            <Alert color="blue" mb="sm" data-testid="import-organizations">
              {plural(session.organizations.create, 'organization')} named in the rows {session.organizations.create === 1 ? 'does' : 'do'} not exist and will be created:{' '}
              {session.organizations.names.slice(0, 8).join(', ')}
              {session.organizations.names.length > 8 ? ', …' : ''}
            </Alert>
          )}
          {session.counts.error > 0 ? (
            <ErrorReport
              rows={errorRows}
              total={session.counts.error}
              more={errorCursor !== null}
              loadingMore={busy === 'more'}
              onMore={() => {
                setBusy('more');
                void loadErrors(session.id, errorCursor, false)
                  .catch((e) => setError(importError(e)))
                  .finally(() => setBusy(null));
              }}
              onDownload={() => void downloadReport()}
              downloading={busy === 'report'}
            />
          ) : (
            <Text size="sm" c="teal.9" data-testid="import-no-errors">
              <IconCheck size={14} /> Every row is valid.
            </Text>
          )}

          {!finished && (
            <Stack gap="sm" mt="md">
              <Radio.Group label="Commit" value={commitRows} onChange={(v) => setCommitRows(v as 'valid' | 'all')}>
                <Stack gap={6} mt={4}>
                  <Radio
                    value="valid"
                    label={`The valid rows (${plural(toWrite, 'row')} to write${session.counts.error ? `; the ${plural(session.counts.error, 'row')} in error are left out` : ''})`}
                    disabled={committing}
                    data-testid="import-commit-valid"
                  />
                  <Radio
                    value="all"
                    label="All or nothing"
                    description={
                      session.counts.error > 0 ? 'Not possible while rows are in error: nothing would be written. Fix the file and check it again.' : 'Writes every row, or none if one fails.'
                    }
                    disabled={committing || session.counts.error > 0}
                    data-testid="import-commit-all"
                  />
                </Stack>
              </Radio.Group>
              <Group>
                <Button color="teal.8" onClick={() => void commit()} loading={committing} disabled={offline || toWrite === 0 || session.state !== 'validated'} data-testid="import-commit">
                  Import {plural(toWrite, 'row')}
                </Button>
                {toWrite === 0 && (
                  <Text size="sm" c="dimmed">
                    Nothing to write.
                  </Text>
                )}
              </Group>
            </Stack>
          )}
          {(committing || finished || session.state === 'failed') && (
            <Stack gap={4} mt="md">
              <Text size="sm" id="import-progress-label">
                {finished ? 'Written' : session.state === 'failed' ? 'Stopped' : 'Writing'}: {session.progress.done.toLocaleString()} of {plural(session.progress.total, 'row')}
              </Text>
              <Progress
                aria-labelledby="import-progress-label"
                value={session.progress.total ? (100 * session.progress.done) / session.progress.total : finished ? 100 : 0}
                animated={!finished && session.state !== 'failed'}
                color={session.state === 'failed' ? 'red' : 'teal.8'}
                size="lg"
                data-testid="import-progress"
                data-done={session.progress.done}
                data-total={session.progress.total}
              />
            </Stack>
          )}
        </Paper>
      )}

      {session && finished && choice && (
        <Paper withBorder radius="md" p="lg" data-testid="import-result">
          <Title order={2} size="h4" mb="xs">
            Done
          </Title>
          <Text size="sm" data-testid="import-result-summary">
            {plural(session.counts.create, 'record')} created, {plural(session.counts.update, 'record')} updated, {plural(session.counts.skip, 'row')} skipped
            {session.counts.error ? `, ${plural(session.counts.error, 'row')} in error not imported` : ''}
            {session.organizations.create ? `; ${plural(session.organizations.create, 'organization')} created` : ''}.
          </Text>
          <Group mt="sm">
            <Button component={Link} href={choice.href} variant="light" data-testid="import-open-records">
              Open {choice.label.toLowerCase()}
            </Button>
            <Button variant="default" onClick={reset} data-testid="import-another">
              Import another file
            </Button>
          </Group>
        </Paper>
      )}
    </Stack>
  );
}

function groupOptions(options: { value: string; label: string; group: string }[]) {
  const groups = new Map<string, { value: string; label: string }[]>();
  for (const o of options) groups.set(o.group, [...(groups.get(o.group) ?? []), { value: o.value, label: o.label }]);
  return [...groups].map(([group, items]) => ({ group, items }));
}

/** The rows in error, by row and column, with the row's values (the erring cells marked). */
function ErrorReport({
  rows,
  total,
  more,
  loadingMore,
  onMore,
  onDownload,
  downloading,
}: {
  rows: ReportRow[];
  total: number;
  more: boolean;
  loadingMore: boolean;
  onMore(): void;
  onDownload(): void;
  downloading: boolean;
}) {
  return (
    <Stack gap="xs" data-testid="import-errors">
      <Group justify="space-between">
        <Text size="sm" fw={600}>
          Rows in error
        </Text>
        <Button size="xs" variant="default" leftSection={<IconDownload size={14} />} onClick={onDownload} loading={downloading} data-testid="import-download-report">
          Download the report (CSV)
        </Button>
      </Group>
      <Table withTableBorder verticalSpacing={6}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={70}>Row</Table.Th>
            <Table.Th w="40%">Errors</Table.Th>
            <Table.Th>Values</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((r) => {
            const bad = new Set(r.errors.map((e) => e.column));
            return (
              <Table.Tr key={r.row} data-testid={`import-error-row-${r.row}`}>
                <Table.Td>
                  <Text size="sm">{r.row}</Text>
                </Table.Td>
                <Table.Td>
                  {r.errors.map((e, i) => (
                    <Text size="sm" key={i} c="red.9">
                      <Text span fw={600} inherit>
                        {e.column}
                      </Text>
                      : {e.message}
                    </Text>
                  ))}
                </Table.Td>
                <Table.Td>
                  <Text size="xs" style={{ wordBreak: 'break-word' }}>
                    {Object.entries(r.record ?? {}).map(([k, v], i) => (
                      <Text span inherit key={k} fw={bad.has(k) ? 700 : undefined} c={bad.has(k) ? 'red.9' : undefined}>
                        {i > 0 ? ' · ' : ''}
                        {k}: {typeof v === 'object' ? JSON.stringify(v) : String(v)}
                      </Text>
                    ))}
                  </Text>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
      <Group gap="sm">
        <Text size="xs" c="dimmed">
          Showing {rows.length.toLocaleString()} of {plural(total, 'row')} in error
        </Text>
        {more && (
          <Button size="xs" variant="subtle" onClick={onMore} loading={loadingMore} data-testid="import-more-errors">
            Show more
          </Button>
        )}
      </Group>
    </Stack>
  );
}
