/** Appearance: light, dark, or the system's setting (the default); kept on this device. */
import { SegmentedControl, useMantineColorScheme, type MantineColorScheme } from '@mantine/core';
import { Section } from './Section.js';

export function AppearanceSection() {
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  return (
    <Section title="Appearance" description="Light, dark, or the same as this device's system setting." id="appearance">
      <SegmentedControl
        value={colorScheme}
        onChange={(v) => setColorScheme(v as MantineColorScheme)}
        data={[
          { value: 'auto', label: 'System' },
          { value: 'light', label: 'Light' },
          { value: 'dark', label: 'Dark' },
        ]}
        aria-label="Colour scheme"
        data-testid="color-scheme"
      />
    </Section>
  );
}
