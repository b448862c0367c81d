import { csvLine, type CsvValue } from '@app/metering';
import { StreamableFile } from '@nestjs/common';
import type { Request } from 'express';
import { Readable } from 'node:stream';

/** CSV when asked by `?format=csv` or by an Accept header preferring text/csv over JSON. */
export function wantsCsv(req: Request, format: string | undefined): boolean {
  if (format) return format === 'csv';
  return req.accepts(['application/json', 'text/csv']) === 'text/csv';
}

/**
 * A streamed CSV download: the header line, then each batch of rows as the source yields it
 * (the request log is read page by page, never whole).
 */
export function csvFile(
  filename: string,
  header: readonly string[],
  rows: AsyncIterable<readonly CsvValue[][]> | Iterable<readonly CsvValue[][]>,
): StreamableFile {
  async function* lines(): AsyncGenerator<string> {
    yield csvLine(header);
    for await (const batch of rows) {
      if (batch.length > 0) yield batch.map((row) => csvLine(row)).join('');
    }
  }
  return new StreamableFile(Readable.from(lines()), {
    type: 'text/csv; charset=utf-8',
    disposition: `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
  });
}

/** `2026-03-01T00:00:00Z` → `20260301T0000Z` for file names. */
export const fileStamp = (iso: string): string => iso.replace(/[-:]/g, '').replace(/\.\d+/, '').replace(/00Z$/, 'Z');
