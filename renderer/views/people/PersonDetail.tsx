/**
 * A person's page: editable details, their organization, their deals (as primary contact or with
 * a role), the activity timeline with a composer, and the record's history.
 */
import { Anchor, Avatar, Breadcrumbs, Button, Card, Grid, Group, Stack, Tabs, Text, Title } from '@mantine/core';
import { IconHistory, IconMail, IconPhone, IconPlus, IconTimeline } from '@tabler/icons-react';
import { useMemo } from 'react';
import { Link, useLocation } from 'wouter';
import type { DealContactRecord, DealRecord, OrganizationRecord, PersonRecord } from '../../../shared/schemas.js';
import { useKith } from '../../app/KithContext.js';
import { ActivityComposer } from '../../components/activities/ActivityComposer.js';
import { ActivityTimeline } from '../../components/activities/ActivityTimeline.js';
import { useSave } from '../../components/forms.js';
import { useQuickCreate } from '../../components/create/QuickCreate.js';
import { usePermissions } from '../../hooks/usePermissions.js';
import { LabelBadges } from '../../components/records/LabelBadges.js';
import { ArchivedBanner, RecordActions } from '../../components/records/RecordActions.js';
import { RecordHistory } from '../../components/records/RecordHistory.js';
import { RelatedDeals } from '../../components/records/RelatedDeals.js';
import { RelatedRecords } from '../../components/records/RelatedRecords.js';
import { useLabelSuggestions } from '../../components/records/useLabelSuggestions.js';
import { useRxDoc, useRxQuery } from '../../hooks/useRx.js';
import { useRowsWhere } from '../../components/records/useCollectionRows.js';
import { PersonForm } from './PersonForm.js';
import { DetailSkeleton, RecordNotFound } from '../../components/records/DetailStates.js';
import { initials } from '../../lib/format.js';

export function PersonDetail({ id }: { id: string }) {
  const store = useKith();
  const [, navigate] = useLocation();
  const { save } = useSave();
  const { openCreate } = useQuickCreate();
  const { can } = usePermissions();
  const { doc: person, loading } = useRxDoc<PersonRecord>('people', id);
  const { doc: organization } = useRxDoc<OrganizationRecord>('organizations', person?.organizationId ?? null);
  const { data: primaryDeals } = useRowsWhere<DealRecord>('deals', 'primaryPersonId', id);
  const { data: contacts } = useRxQuery<DealContactRecord>('dealContacts', { selector: { personId: id } });
  const contactDealIds = useMemo(() => [...new Set(contacts.map((c) => c.dealId))].sort(), [contacts]);
  const { data: contactDeals } = useRxQuery<DealRecord>('deals', contactDealIds.length > 0 ? { selector: { id: { $in: contactDealIds } } } : null);
  const labelSuggestions = useLabelSuggestions('people');

  const { deals, roles } = useMemo(() => {
    const byId = new Map<string, DealRecord>();
    const roles = new Map<string, string[]>();
    const addRole = (dealId: string, role: string) => roles.set(dealId, [...(roles.get(dealId) ?? []), role]);
    for (const d of primaryDeals) {
      byId.set(d.id, d);
      addRole(d.id, 'primary contact');
    }
    for (const d of contactDeals) byId.set(d.id, d);
    for (const c of contacts) if (byId.has(c.dealId)) addRole(c.dealId, c.role ?? 'contact');
    return { deals: [...byId.values()], roles };
  }, [primaryDeals, contactDeals, contacts]);

  if (loading) return <DetailSkeleton />;
  if (!person) return <RecordNotFound noun="person" back="/people" backLabel="Back to people" />;

  return (
    <Stack gap="md" data-testid="person-detail" data-id={person.id}>
      <Breadcrumbs>
        <Anchor component={Link} href="/people" size="sm">
          People
        </Anchor>
        <Text size="sm" c="dimmed" truncate maw={400}>
          {person.name}
        </Text>
      </Breadcrumbs>

      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <Group gap="md" wrap="nowrap" style={{ minWidth: 0 }}>
          <Avatar size={56} radius="xl" color="initials" name={person.name}>
            {initials(person.name)}
          </Avatar>
          <Stack gap={4} style={{ minWidth: 0 }}>
            <Title order={2} data-testid="person-name" style={{ wordBreak: 'break-word' }}>
              {person.name}
            </Title>
            <Group gap="xs" wrap="wrap">
              {(person.title || organization) && (
                <Text size="sm" c="dimmed">
                  {person.title}
                  {person.title && organization ? ' at ' : ''}
                  {organization && (
                    <Anchor component={Link} href={`/organizations/${organization.id}`} size="sm" data-testid="person-organization-link">
                      {organization.name}
                    </Anchor>
                  )}
                </Text>
              )}
              {person.email && (
                <Anchor href={`mailto:${person.email}`} size="sm">
                  <Group gap={4} wrap="nowrap">
                    <IconMail size={14} />
                    {person.email}
                  </Group>
                </Anchor>
              )}
              {person.phone && (
                <Anchor href={`tel:${person.phone}`} size="sm">
                  <Group gap={4} wrap="nowrap">
                    <IconPhone size={14} />
                    {person.phone}
                  </Group>
                </Anchor>
              )}
            </Group>
            <LabelBadges labels={person.labels} max={8} />
          </Stack>
        </Group>
        <RecordActions collection="people" id={person.id} name={person.name} archivedAt={person.archivedAt} onDeleted={() => navigate('/people')} />
      </Group>

      <ArchivedBanner archivedAt={person.archivedAt} noun="person" />

      <Grid gap="md">
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Stack gap="md">
            <Card withBorder radius="md" padding="md">
              <Text fw={600} mb="sm">
                Details
              </Text>
              <PersonForm
                key={person.id}
                person={person}
                labelSuggestions={labelSuggestions}
                submitLabel="Save changes"
                onSubmit={(patch, form) => save(() => store.update('people', person.id, patch), { success: 'Saved', form })}
              />
            </Card>
            <Card withBorder radius="md" padding="md">
              <Group justify="space-between" mb="sm">
                <Text fw={600}>Deals</Text>
                <Group gap="xs">
                  <Text size="xs" c="dimmed">
                    {deals.length > 0 ? `${deals.length} deal${deals.length === 1 ? '' : 's'}` : ''}
                  </Text>
                  {can('create', 'deals') && (
                    <Button
                      size="compact-sm"
                      variant="light"
                      leftSection={<IconPlus size={14} />}
                      onClick={() => openCreate('deal', { personId: person.id, organizationId: person.organizationId })}
                      data-testid="person-new-deal"
                    >
                      New deal
                    </Button>
                  )}
                </Group>
              </Group>
              <RelatedDeals deals={deals} roles={roles} emptyText="Not on any deal yet. Add them as a contact from a deal's page." />
            </Card>
            <RelatedRecords collection="people" id={person.id} />
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
                  <ActivityComposer key={person.id} personId={person.id} organizationId={person.organizationId} />
                  <ActivityTimeline personId={person.id} />
                </Stack>
              </Tabs.Panel>
              <Tabs.Panel value="history">
                <RecordHistory entityType="person" entityId={person.id} />
              </Tabs.Panel>
            </Tabs>
          </Card>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
