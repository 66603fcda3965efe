import { ThemeIcon } from '@mantine/core';
import { IconAffiliate } from '@tabler/icons-react';

/** The Kith mark. */
export function Logo({ size = 30 }: { size?: number }) {
  return (
    <ThemeIcon size={size} radius="md" variant="gradient" gradient={{ from: 'indigo', to: 'cyan', deg: 135 }}>
      <IconAffiliate size={Math.round(size * 0.62)} />
    </ThemeIcon>
  );
}
