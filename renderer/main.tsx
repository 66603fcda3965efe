/**
 * Kith renderer entry (web and desktop): Mantine theme, notifications, the app.
 */
import './zodConfig.js';
import { createRoot } from 'react-dom/client';
import { MantineProvider, createTheme } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import '@mantine/spotlight/styles.css';
import '@mantine/dates/styles.css';
import '@mantine/charts/styles.css';
import './components/theme.css';
import { App } from './app/App.js';
import { ConsentPage, isConsentPage } from './app/ConsentPage.js';
import { startOfflineShell } from './lib/pwa.js';

const theme = createTheme({
  primaryColor: 'indigo',
  // WCAG AA: white on indigo 7 is 5:1 (indigo 6 was 4.3:1); filled buttons and badges of light
  // colors (teal, red, orange) get dark text where white would read below 4.5:1
  primaryShade: { light: 7, dark: 8 },
  autoContrast: true,
  luminanceThreshold: 0.2,
  defaultRadius: 'md',
  fontFamily: 'Inter, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  headings: { fontWeight: '650' },
});

createRoot(document.getElementById('root')!).render(
  <MantineProvider theme={theme} defaultColorScheme="auto">
    <Notifications position="bottom-right" limit={4} />
    {isConsentPage() ? <ConsentPage /> : <App />}
  </MantineProvider>,
);

// web: the service worker that opens the app offline, and the "updated" notice
startOfflineShell();
