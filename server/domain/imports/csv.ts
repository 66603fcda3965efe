/**
 * Reading an import's CSV with csv-parse, streamed: UTF-8 with or without a byte-order mark,
 * quoted fields (with delimiters, quotes and line breaks inside), the delimiter sniffed from the
 * header line (comma, semicolon, tab or pipe) unless given. The first record is the header.
 */
import { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { sniffDelimiter } from '../../../shared/importColumns.js';
import { ValidationError } from '../errors.js';

/** Reads the first line of a stream (for sniffing) and gives back a stream of the whole input. */
async function peek(input: Readable): Promise<{ head: string; stream: Readable }> {
  // the same iterator reads on after the head (leaving a for-await loop would destroy the stream)
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const chunks: Buffer[] = [];
  let head = '';
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    const buf = Buffer.isBuffer(next.value) ? next.value : Buffer.from(String(next.value));
    chunks.push(buf);
    head += buf.toString('utf8');
    if (/\r|\n/.test(head) || head.length > 65536) break;
  }
  async function* rest() {
    yield* chunks;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head: head.replace(/^\uFEFF/, '').split(/\r?\n|\r/)[0], stream: Readable.from(rest()) };
}

/**
 * The rows of a CSV as objects by header, read as they stream in (each row handed to `onRow` with
 * its 1-based number in the file's data rows). Throws a 422 naming the line for malformed CSV.
 */
export async function readCsv(
  input: Readable | string,
  onHeader: (headers: string[]) => void,
  onRow: (row: Record<string, string>, index: number) => void | Promise<void>,
  delimiter?: string,
): Promise<string[]> {
  const source = typeof input === 'string' ? Readable.from([Buffer.from(input, 'utf8')]) : input;
  const { head, stream } = await peek(source);
  const parser = stream.pipe(
    parse({
      bom: true,
      delimiter: delimiter ?? sniffDelimiter(head),
      relax_column_count: true,
      skip_empty_lines: true,
      trim: false,
      max_record_size: 1_000_000,
    }),
  );
  let headers: string[] | null = null;
  let index = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!headers) {
        headers = record.map((h) => h.trim());
        const blank = headers.findIndex((h) => h === '');
        if (blank >= 0) throw new ValidationError([{ path: `columns.${blank + 1}`, message: 'the header row has an empty column name' }]);
        onHeader(headers);
        continue;
      }
      if (record.length === 1 && record[0].trim() === '') continue;
      index++;
      const row: Record<string, string> = {};
      if (record.length > headers.length) throw new ValidationError([{ path: `rows.${index}`, message: `row ${index} has ${record.length} fields; the header has ${headers.length}` }]);
      headers.forEach((h, i) => {
        if (record[i] !== undefined) row[h] = record[i];
      });
      await onRow(row, index);
    }
  } catch (error) {
    if (error instanceof CsvError) throw new ValidationError([{ path: 'csv', message: `not valid CSV: ${error.message}` }]);
    throw error;
  }
  if (!headers) throw new ValidationError([{ path: 'csv', message: 'the file is empty: a header row of column names is expected' }]);
  return headers;
}
