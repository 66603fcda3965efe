/**
 * Record rules both the server and the offline client apply, so a record made offline looks
 * the same as one the server made.
 */

/** The stages of a new pipeline when none are given. */
export const DEFAULT_STAGES = [
  { name: 'Lead', probability: 0.1 },
  { name: 'Qualified', probability: 0.25 },
  { name: 'Proposal', probability: 0.5 },
  { name: 'Negotiation', probability: 0.75 },
];

/** example.com from "https://www.Example.com/about" — used to spot duplicate organizations. */
export function domainFromWebsite(website: unknown): string | null {
  if (typeof website !== 'string' || website.trim() === '') return null;
  const text = website.trim();
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
    const host = url.hostname
      .toLowerCase()
      .replace(/^www\./, '')
      .replace(/\.$/, '');
    return host.includes('.') ? host : null;
  } catch {
    return null;
  }
}
