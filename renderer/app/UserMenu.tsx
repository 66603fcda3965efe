/**
 * Who is signed in (the name from `GET /auth/me`), and signing out, in the header.
 */
import { useEffect, useState } from 'react';
import { Button, Menu, Text } from '@mantine/core';
import { IconLogout, IconUserCircle } from '@tabler/icons-react';
import { useSession } from './session.js';
import { authMe, type Me } from './connection.js';

export function UserMenu() {
  const { connection, signOut } = useSession();
  const [me, setMe] = useState<Me | null>(null);
  useEffect(() => {
    let cancelled = false;
    authMe(connection).then(
      (answer) => !cancelled && setMe(answer),
      () => undefined, // offline: no name until the server answers
    );
    return () => {
      cancelled = true;
    };
  }, [connection]);
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <Button variant="subtle" color="gray" size="compact-sm" leftSection={<IconUserCircle size={18} />} data-testid="user-menu" title="Account">
          <Text size="sm" span data-testid="user-name">
            {me?.user.name ?? 'Account'}
          </Text>
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        {me && <Menu.Label>{me.user.email}</Menu.Label>}
        <Menu.Item leftSection={<IconLogout size={16} />} color="red" onClick={() => void signOut()} data-testid="user-sign-out">
          Sign out
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
