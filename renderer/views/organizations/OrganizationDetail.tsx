/**
 * An organization's page: editable details, the people who work there (add one in place), its
 * deals with the open pipeline value, the activity timeline with a composer, and the history.
 */
import { Anchor, Avatar, Breadcrumbs, Button, Card, Grid, Group, Modal, Stack, Tabs, Text, Title } from '@mantine/core';
import { IconExternalLink, IconHistory, IconPlus, IconTimeline, IconUserPlus } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { sumAmounts } from '../../../shared/money.js';
import type { DealRecord, OrganizationRecord, PersonRecord } from '../../../shared/schemas.js';
import { useKith } from '../../app/KithContext.js';
import { ActivityComposer } from '../../components/activities/ActivityComposer.js';
import { ActivityTimeline } from '../../components/activities/ActivityTimeline.js';
import { useSave } from '../../components/forms.js';
import { useQuickCreate } from '../../components/create/QuickCreate.js';
import { LabelBadges } from '../../components/records/LabelBadges.js';
import { ArchivedBanner, RecordActions } from '../../components/records/RecordActions.js';
import { RecordHistory } from '../../components/records/RecordHistory.js';
import { RelatedDeals } from '../../components/records/RelatedDeals.js';
import { RelatedRecords } from '../../components/records/RelatedRecords.js';
import { useLabelSuggestions } from '../../components/records/useLabelSuggestions.js';
import { useRxDoc } from '../../hooks/useRx.js';
import { usePermissions } from '../../hooks/usePermissions.js';
import { useRowsWhere } from '../../components/records/useCollectionRows.js';
import { formatMoney, initials } from '../../lib/format.js';
import { DetailSkeleton, RecordNotFound } from '../../components/records/DetailStates.js';
import { PersonForm } from '../people/PersonForm.js';
import { OrganizationForm } from './OrganizationForm.js';

function websiteHref(website: string): string {
  return /^https?:\/\//i.test(website) ? website : `https://${website}`;
}

export function OrganizationDetail({ id }: { id: string }) {
  const store = useKith();
  const [, navigate] = useLocation();
  const { save } = useSave();
  const [addingPerson, setAddingPerson] = useState(false);
  const { openCreate } = useQuickCreate();
  const { doc: organization, loading } = useRxDoc<OrganizationRecord>('organizations', id);
  const { data: people } = useRowsWhere<PersonRecord>('people', 'organizationId', id);
  const { data: deals } = useRowsWhere<DealRecord>('deals', 'organizationId', id);
  const labelSuggestions = useLabelSuggestions('organizations');
  const { can } = usePermissions();

  const activePeople = useMemo(() => people.filter((p) => !p.archivedAt).sort((a, b) => a.name.localeCompare(b.name)), [people]);
  const openTotals = useMemo(() => {
    const byCurrency = new Map<string, number[]>();
    for (const d of deals) if (d.status === 'open' && !d.archivedAt && d.amount != null) byCurrency.set(d.currency, [...(byCurrency.get(d.currency) ?? []), d.amount]);
    return [...byCurrency.entries()].map(([currency, amounts]) => formatMoney(sumAmounts(amounts), currency));
  }, [deals]);

  if (loading) return <DetailSkeleton />;
  if (!organization) return <RecordNotFound noun="organization" back="/organizations" backLabel="Back to organizations" />;
  const canAddPerson = can('create', 'people');

  return (
    <Stack gap="md" data-testid="organization-detail" data-id={organization.id}>
      <Breadcrumbs>
        <Anchor component={Link} href="/organizations" size="sm">
          Organizations
        </Anchor>
        <Text size="sm" c="dimmed" truncate maw={400}>
          {organization.name}
        </Text>
      </Breadcrumbs>

      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <Group gap="md" wrap="nowrap" style={{ minWidth: 0 }}>
          <Avatar size={56} radius="md" color="initials" name={organization.name}>
            {initials(organization.name)}
          </Avatar>
          <Stack gap={4} style={{ minWidth: 0 }}>
            <Title order={2} data-testid="organization-name" style={{ wordBreak: 'break-word' }}>
              {organization.name}
            </Title>
            <Group gap="sm">
              {organization.website && (
                <Anchor href={websiteHref(organization.website)} target="_blank" rel="noreferrer" size="sm">
                  <Group gap={4} wrap="nowrap">
                    {organization.domain ?? organization.website}
                    <IconExternalLink size={13} />
                  </Group>
                </Anchor>
              )}
              <Text size="sm" c="dimmed">
                {activePeople.length} {activePeople.length === 1 ? 'person' : 'people'} · {deals.filter((d) => d.status === 'open' && !d.archivedAt).length} open deals
                {openTotals.length > 0 ? ` · ${openTotals.join(' + ')}` : ''}
              </Text>
            </Group>
            <LabelBadges labels={organization.labels} max={8} />
          </Stack>
        </Group>
        <RecordActions collection="organizations" id={organization.id} name={organization.name} archivedAt={organization.archivedAt} onDeleted={() => navigate('/organizations')} />
      </Group>

      <ArchivedBanner archivedAt={organization.archivedAt} noun="organization" />

      <Grid gap="md">
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Stack gap="md">
            <Card withBorder radius="md" padding="md">
              <Text fw={600} mb="sm">
                Details
              </Text>
              <OrganizationForm
                key={organization.id}
                organization={organization}
                labelSuggestions={labelSuggestions}
                submitLabel="Save changes"
                onSubmit={(patch, form) => save(() => store.update('organizations', organization.id, patch), { success: 'Saved', form })}
              />
            </Card>
            <Card withBorder radius="md" padding="md">
              <Group justify="space-between" mb="sm">
                <Text fw={600}>People</Text>
                {canAddPerson && (
                  <Button size="compact-sm" variant="light" leftSection={<IconUserPlus size={14} />} onClick={() => setAddingPerson(true)} data-testid="organization-add-person">
                    Add person
                  </Button>
                )}
              </Group>
              {activePeople.length === 0 ? (
                <Text size="sm" c="dimmed" data-testid="organization-people-empty">
                  Nobody here yet.
                </Text>
              ) : (
                <Stack gap={4} data-testid="organization-people">
                  {activePeople.map((p) => (
                    <Group key={p.id} gap="sm" wrap="nowrap" py={4} data-testid={`organization-person-${p.id}`}>
                      <Avatar size={28} radius="xl" color="initials" name={p.name}>
                        {initials(p.name)}
                      </Avatar>
                      <Stack gap={0} style={{ minWidth: 0 }}>
                        <Anchor component={Link} href={`/people/${p.id}`} size="sm" fw={500} truncate>
                          {p.name}
                        </Anchor>
                        <Text size="xs" c="dimmed" truncate>
                          {[p.title, p.email].filter(Boolean).join(' · ')}
                        </Text>
                      </Stack>
                    </Group>
                  ))}
                </Stack>
              )}
            </Card>
            <Card withBorder radius="md" padding="md">
              <Group justify="space-between" mb="sm">
                <Text fw={600}>Deals</Text>
                {can('create', 'deals') && (
                  <Button
                    size="compact-sm"
                    variant="light"
                    leftSection={<IconPlus size={14} />}
                    onClick={() => openCreate('deal', { organizationId: organization.id })}
                    data-testid="organization-new-deal"
                  >
                    New deal
                  </Button>
                )}
              </Group>
              <RelatedDeals deals={deals} emptyText="No deals with this organization yet." />
            </Card>
            <RelatedRecords collection="organizations" id={organization.id} />
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Card withBorder radius="md" padding="md">
            <Tabs defaultValue="activity" keepMounted={false}>
              <Tabs.List mb="md">
                <Tabs.Tab value="activity" leftSection={<IconTimeline size={16} />} data-testid="tab-activity">
                  Activity
                </Tabs.Tab>
                <Tabs.Tab value="history" leftSection={<IconHistory size={16} />} data-testid="tab-history">
                  History
                </Tabs.Tab>
              </Tabs.List>
              <Tabs.Panel value="activity">
                <Stack gap="lg">
                  <ActivityComposer key={organization.id} organizationId={organization.id} />
                  <ActivityTimeline organizationId={organization.id} />
                </Stack>
              </Tabs.Panel>
              <Tabs.Panel value="history">
                <RecordHistory entityType="organization" entityId={organization.id} />
              </Tabs.Panel>
            </Tabs>
          </Card>
        </Grid.Col>
      </Grid>

      <Modal opened={addingPerson} onClose={() => setAddingPerson(false)} title={<Text fw={600}>New person at {organization.name}</Text>} size="lg">
        <PersonForm
          defaults={{ organizationId: organization.id }}
          submitLabel="Create person"
          autoFocus
          onCancel={() => setAddingPerson(false)}
          onSubmit={async (payload, form) => {
            const created = await save(() => store.create('people', payload), { success: `${payload.name} added`, form });
            if (created) setAddingPerson(false);
            return created;
          }}
        />
      </Modal>
    </Stack>
  );
}
