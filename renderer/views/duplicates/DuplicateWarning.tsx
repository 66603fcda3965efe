/**
 * The create forms' duplicate warning (SPEC §3 "Duplicates and merge"): a person whose email
 * another person has, an organization whose website's domain another organization has. Found in
 * the local store, so it works offline; it names the record it duplicates with a link, and saving
 * is still allowed (the server does the same and says so in `warnings`).
 */
import { Alert, Anchor, Text } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconCopy } from '@tabler/icons-react';
import { Link } from 'wouter';
import { domainFromWebsite } from '../../../shared/rules.js';
import { escapeRegex } from '../../components/pickers.js';
import { useRxQuery } from '../../hooks/useRx.js';

interface Found {
  id: string;
  name: string;
  archivedAt?: string | null;
}

function Warning({ found, collection, what, testId }: { found: Found[]; collection: 'people' | 'organizations'; what: string; testId: string }) {
  if (found.length === 0) return null;
  return (
    <Alert color="yellow" variant="light" p="xs" icon={<IconCopy size={16} />} data-testid={testId}>
      <Text size="sm">
        {found.map((r, i) => (
          <span key={r.id}>
            {i > 0 ? ', ' : ''}
            <Anchor component={Link} href={`/${collection}/${r.id}`} inherit fw={600}>
              {r.name}
            </Anchor>
            {r.archivedAt ? ' (archived)' : ''}
          </span>
        ))}{' '}
        {found.length === 1 ? 'has' : 'have'} {what} already. You can still save; merge them later from Duplicates.
      </Text>
    </Alert>
  );
}

/** Other people with this email (case-insensitive). */
export function EmailDuplicateWarning({ email, selfId }: { email: string; selfId?: string | null }) {
  const [value] = useDebouncedValue(email.trim(), 250);
  const query = value.includes('@') ? { selector: { email: { $regex: `^${escapeRegex(value)}$`, $options: 'i' } }, limit: 5 } : null;
  const { data } = useRxQuery<Found>('people', query);
  return <Warning found={data.filter((r) => r.id !== selfId)} collection="people" what="this email" testId="person-duplicate-warning" />;
}

/** Other organizations whose website has this website's domain. */
export function DomainDuplicateWarning({ website, selfId }: { website: string; selfId?: string | null }) {
  const [value] = useDebouncedValue(website, 250);
  const domain = domainFromWebsite(value);
  const { data } = useRxQuery<Found>('organizations', domain ? { selector: { domain }, limit: 5 } : null);
  return <Warning found={data.filter((r) => r.id !== selfId)} collection="organizations" what={`the domain ${domain}`} testId="organization-duplicate-warning" />;
}
