/**
 * Settings, one panel per file: connection (web: server + key; desktop: local or remote),
 * workspace (and switching), members and invites, import (the page is views/import/), one's API keys, agent access (MCP configuration blocks, filled in), webhooks and automations (owners), sync status and
 * the rejected changes, appearance (light, dark or the system's), keyboard shortcuts.
 */
import { Stack, Title } from '@mantine/core';
import { AgentSection } from './AgentSection.js';
import { ApiKeysSection } from './ApiKeysSection.js';
import { AppearanceSection } from './AppearanceSection.js';
import { AutomationsSection } from './automations/AutomationsSection.js';
import { ConnectedAppsSection } from './ConnectedAppsSection.js';
import { ConnectionSection } from './ConnectionSection.js';
import { FieldsSection } from './datamodel/FieldsSection.js';
import { ImportSection } from '../import/ImportSection.js';
import { ObjectTypesSection } from './datamodel/ObjectTypesSection.js';
import { PipelinesSection } from './datamodel/PipelinesSection.js';
import { MembersSection } from './MembersSection.js';
import { ShortcutsSection } from './ShortcutsSection.js';
import { SyncSection } from './SyncSection.js';
import { WebhooksSection } from './WebhooksSection.js';
import { WorkspaceSection } from './WorkspaceSection.js';

export function SettingsView() {
  return (
    <Stack maw={980} mx="auto" gap="md" data-testid="settings">
      <Title order={2}>Settings</Title>
      <ConnectionSection />
      <WorkspaceSection />
      <MembersSection />
      <PipelinesSection />
      <FieldsSection />
      <ObjectTypesSection />
      <ImportSection />
      <ApiKeysSection />
      <ConnectedAppsSection />
      <AgentSection />
      <WebhooksSection />
      <AutomationsSection />
      <SyncSection />
      <AppearanceSection />
      <ShortcutsSection />
    </Stack>
  );
}
