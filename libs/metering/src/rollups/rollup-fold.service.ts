import { Injectable } from '@nestjs/common';
import { RollupFoldRepository } from './rollup-fold.repository';

/** Deltas moved per statement: bounds one fold's transaction after a backlog (worker down for a while). */
export const FOLD_CHUNK = 50_000;

export interface FoldReport {
  /** Changes to the minute rows moved. */
  deltas: number;
  /** Folded rows written, all tables. */
  rows: number;
  tookMs: number;
}

/**
 * Keeps the folded hour and day rollups (`FOLDED_CUBOIDS`) up to date from the changes the minute
 * rollups' triggers append to `usage_rollup_deltas` (libs/metering README "Hours and days").
 * Run by the worker's `metering.fold-rollups` job every few seconds. Safe to run twice or
 * concurrently: each delta row is deleted by exactly one fold, in the statement that adds it.
 * Readers never wait for it: they add the pending deltas themselves.
 */
@Injectable()
export class RollupFoldService {
  constructor(private readonly repository: RollupFoldRepository) {}

  async fold(): Promise<FoldReport> {
    const started = performance.now();
    const report: FoldReport = { deltas: 0, rows: 0, tookMs: 0 };
    for (;;) {
      const chunk = await this.repository.foldChunk(FOLD_CHUNK);
      report.deltas += chunk.deltas;
      report.rows += chunk.rows;
      if (chunk.shrunk.length > 0) await this.repository.dropEmptied(chunk.shrunk);
      if (chunk.deltas < FOLD_CHUNK) break;
    }
    // keep the table readers scan as small as what is pending (autovacuum would wait for a minute or more)
    if (report.deltas > 0) await this.repository.vacuumDeltas();
    report.tookMs = Math.round(performance.now() - started);
    return report;
  }
}
