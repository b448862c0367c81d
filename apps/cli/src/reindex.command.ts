import { SearchIndexer, SearchPort, type ReindexReport } from '@app/search';
import { NestFactory } from '@nestjs/core';
import { CliModule } from './cli.module';

export const REINDEX_USAGE = `  reindex                  rebuild the search index (SEARCH_ENGINE) from the database, with fresh
                           quality signals; reports documents it removed (in the index, not in the
                           public catalog) and added (in the catalog, missing from the index)
`;

interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

const BAR_WIDTH = 30;

/**
 * Progress on a terminal: one bar redrawn in place (`\r`). Otherwise (a pipe, CI logs): one line
 * per tenth of the work, so logs stay short and greppable.
 */
export function progressPrinter(out: Output): (done: number, total: number) => void {
  let lastTenth = -1;
  return (done, total) => {
    const ratio = total === 0 ? 1 : done / total;
    if (out.isTTY) {
      const filled = Math.round(ratio * BAR_WIDTH);
      out.write(`\r  [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${done}/${total} listings`);
      if (done >= total) out.write('\n');
      return;
    }
    const tenth = Math.floor(ratio * 10);
    if (tenth === lastTenth) return;
    lastTenth = tenth;
    out.write(`reindex: ${done}/${total} listings (${Math.round(ratio * 100)} %)\n`);
  };
}

const SHOWN = 1_000;

/** The report: counts, then the ids (the first SHOWN of each list). */
export function describeReindex(engine: string, report: ReindexReport): string {
  const list = (ids: string[]): string[] => [
    ...ids.slice(0, SHOWN).map((id) => `    ${id}`),
    ...(ids.length > SHOWN ? [`    … and ${ids.length - SHOWN} more`] : []),
  ];
  return [
    `Reindexed ${report.indexed} listings into ${engine} in ${(report.tookMs / 1000).toFixed(1)} s.`,
    `  removed ${report.removed.length} (in the index, not in the public catalog)${report.removed.length ? ':' : ''}`,
    ...list(report.removed),
    `  added ${report.added.length} (in the public catalog, missing from the index)${report.added.length ? ':' : ''}`,
    ...list(report.added),
    '',
  ].join('\n');
}

/** `portico reindex`; the rebuild lives in libs/search (SearchIndexer.reindexAll). */
export async function runReindexCommand(out: Output = process.stdout, rawEnv?: Record<string, unknown>): Promise<number> {
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(rawEnv), { logger: ['error', 'warn'] });
  try {
    const port = app.get(SearchPort);
    await port.prepare();
    const report = await app.get(SearchIndexer).reindexAll(progressPrinter(out));
    out.write(describeReindex(port.engine, report));
    return 0;
  } finally {
    await app.close();
  }
}
