/**
 * CSV over HTTP: whether a list request asks for CSV (format=csv, or Accept preferring text/csv),
 * and streaming chunks of text to the response with back-pressure.
 */
import { stringify } from 'csv-stringify';
import type { Request, Response } from 'express';

export function wantsCsv(req: Request): boolean {
  const format = req.query.format;
  if (format === 'csv') return true;
  if (format !== undefined) return false;
  return req.accepts(['application/json', 'text/csv']) === 'text/csv';
}

/** Streams chunks as the response body, waiting for the client to drain when its buffer is full. */
export async function streamText(res: Response, contentType: string, filename: string, chunks: AsyncIterable<string>): Promise<void> {
  let started = false;
  for await (const chunk of chunks) {
    if (!started) {
      // the first chunk is read before anything is sent, so a bad query is still a problem+json answer
      res.status(200).setHeader('Content-Type', contentType);
      res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
      res.setHeader('Cache-Control', 'no-store');
      started = true;
    }
    if (res.destroyed) return;
    if (!res.write(chunk)) await new Promise<void>((resolve) => res.once('drain', resolve).once('close', resolve));
  }
  res.end();
}

/** Rows (arrays of cells) as CSV text, a batch at a time (RFC 4180 quoting, CRLF-free: \n line ends). */
export async function* csvText(batches: AsyncIterable<string[][]>): AsyncGenerator<string> {
  for await (const rows of batches) yield await new Promise<string>((resolve, reject) => stringify(rows, (error, text) => (error ? reject(error) : resolve(text))));
}
