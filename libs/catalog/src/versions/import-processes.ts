import { AppError, type ErrorCode, type ProblemExtensions } from '@app/common';
import { Injectable, Logger, Optional, type OnModuleDestroy } from '@nestjs/common';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { CatalogEnv } from '../catalog.env';
import type { ExtractedEndpoint } from './endpoint-extraction';
import type { DocumentInput } from './openapi-document.reader';
import { OPENAPI_IMPORT_LIMITS } from './openapi-import.limits';
import type { ImportedDocument } from './openapi-importer.service';

/** api → child: one document to import. */
export interface ImportRequest {
  id: number;
  input: DocumentInput;
}

/** An error crossing the process boundary (serialisation keeps an Error's message only). */
export type ChildError =
  | {
      kind: 'app';
      code: ErrorCode;
      detail: string;
      extensions: ProblemExtensions;
      headers: Record<string, string>;
    }
  | { kind: 'crash'; message: string };

/** An endpoint as it crosses to the api: its JSON columns serialised already, passed to PostgreSQL as they are. */
export interface SerializedEndpoint extends Omit<
  ExtractedEndpoint,
  'parameters' | 'requestBody' | 'responses'
> {
  parameters: string;
  requestBody: string | null;
  responses: string;
}

/**
 * An imported document as it crosses to the api: the document and the endpoints' JSON as text. The
 * api only stores them, and strings cross (and reach PostgreSQL) without the api's event loop
 * rebuilding or serialising ~20 MB of objects for GitHub's description.
 */
export interface SerializedImport extends Omit<ImportedDocument, 'document' | 'endpoints'> {
  /** `JSON.stringify` of the document as uploaded: what `api_versions.document` stores and serves. */
  document: string;
  endpoints: SerializedEndpoint[];
}

/** child → api: loaded and listening (once), then per request the imported document or why it was refused. */
export type ImportReply =
  | { ready: true }
  | { id: number; ok: true; imported: SerializedImport }
  | { id: number; ok: false; error: ChildError };

interface ImportLimits {
  /** The child's V8 heap limit (`--max-old-space-size`); beyond it the child dies, the api does not. */
  memoryMb: number;
  /** How long one import may run before its child is killed. */
  timeoutMs: number;
  /** How long an idle child is kept for the next import before it is stopped (its memory returned). */
  idleMs: number;
}

/** What V8 prints when a heap limit is reached, just before it aborts the process. */
const OUT_OF_MEMORY = /JavaScript heap out of memory|Reached heap limit/;
/** The end of the child's stderr kept to tell an out-of-memory abort from other deaths. */
const STDERR_TAIL = 4096;

/** The child's script: the bundle's entry next to the app's main.js, else the source through ts-node (tests, scripts). */
function childScript(): { file: string; execArgv: string[] } {
  const bundled = join(__dirname, 'openapi-import.process.js');
  if (existsSync(bundled)) return { file: bundled, execArgv: [] };
  return {
    file: join(__dirname, 'openapi-import.process.ts'),
    execArgv: ['--require', 'ts-node/register/transpile-only', '--require', 'tsconfig-paths/register'],
  };
}

/**
 * The child's environment: none of the api's (database URL, secrets); the importer reads no
 * variable. ts-node's own settings pass, for runs from source.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { NODE_ENV: process.env.NODE_ENV };
  for (const [name, value] of Object.entries(process.env)) if (name.startsWith('TS_NODE_')) env[name] = value;
  return env;
}

function outOfMemory(limits: ImportLimits): AppError {
  return new AppError(
    'payload_too_large',
    `Importing this document needed more than ${limits.memoryMb} MB of memory, the most one import may use on this server. ` +
      'Split the API into smaller documents, or ask the operator to raise CATALOG_IMPORT_MEMORY_MB.',
    { limitMegabytes: limits.memoryMb },
  );
}

function tookTooLong(limits: ImportLimits): AppError {
  const seconds = Math.round(limits.timeoutMs / 100) / 10;
  return new AppError(
    'payload_too_large',
    `Importing this document took longer than ${seconds} s, the longest one import may run on this server. ` +
      'Split the API into smaller documents, or ask the operator to raise CATALOG_IMPORT_TIMEOUT_SECONDS.',
    { limitSeconds: seconds },
  );
}

function fromChild(error: ChildError): Error {
  if (error.kind === 'app') return new AppError(error.code, error.detail, error.extensions, error.headers);
  return new Error(`the OpenAPI import process failed: ${error.message}`);
}

interface PendingImport {
  id: number;
  resolve: (imported: SerializedImport) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** One child process running imports one at a time. */
class ImportProcess {
  private readonly child: ChildProcess;
  private pending: PendingImport | null = null;
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | null = null;
  private stderrTail = '';
  /** Settles once the child has loaded the importer (~1.3 s bundled, ~2 s through ts-node), or could not. */
  private readonly ready: Promise<void>;
  private markReady!: (outcome: Error | null) => void;
  /** Why this child is being killed (the time limit), so its exit reports that. */
  private killedFor: Error | null = null;
  private readonly exited: Promise<void>;
  /** Dead, or being stopped: never handed another import (its 'close' may come a moment after the kill). */
  stopped = false;

  constructor(
    private readonly limits: ImportLimits,
    private readonly logger: Logger,
    onStopped: (child: ImportProcess) => void,
  ) {
    const script = childScript();
    this.child = fork(script.file, [], {
      execArgv: [...script.execArgv, `--max-old-space-size=${limits.memoryMb}`],
      env: childEnv(),
      // advanced: structured clone over IPC (a document is a deep object tree; no JSON round trip)
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.ready = new Promise<void>((resolve, reject) => {
      this.markReady = (outcome) => (outcome ? reject(outcome) : resolve());
    });
    this.ready.catch(() => undefined); // a child that fails to start is reported to the import awaiting it
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL);
    });
    this.child.on('message', (reply: ImportReply) => {
      if ('ready' in reply) return this.markReady(null);
      if (!this.pending || reply.id !== this.pending.id) return;
      if (reply.ok) this.settle().resolve(reply.imported);
      else this.settle().reject(fromChild(reply.error));
    });
    this.exited = new Promise<void>((resolve) => {
      // 'close', not 'exit': only then has all of its stderr been read (V8's out-of-memory message is its last line)
      this.child.on('close', (code, signal) => {
        this.stopped = true;
        if (this.idleTimer) clearTimeout(this.idleTimer);
        const failure = this.killedFor ?? this.exitFailure(code, signal);
        this.markReady(failure); // no-op once it was ready
        this.fail(failure);
        onStopped(this);
        resolve();
      });
    });
    this.child.on('error', (error) => {
      // fork could not start the process, or a kill or send failed: the exit (if any) follows
      this.logger.error(`the OpenAPI import process: ${error.message}`);
    });
  }

  async run(input: DocumentInput): Promise<SerializedImport> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    // a running import keeps the api's process alive (a CLI awaiting it); an idle child does not
    this.setReferenced(true);
    // the time limit is the import's: a child's start does not count
    await this.ready;
    return new Promise<SerializedImport>((resolve, reject) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.logger.warn(
          `an OpenAPI import ran longer than ${this.limits.timeoutMs} ms; its process was killed`,
        );
        this.killedFor = tookTooLong(this.limits);
        this.child.kill('SIGKILL');
      }, this.limits.timeoutMs);
      this.pending = { id, resolve, reject, timer };
      this.child.send({ id, input } satisfies ImportRequest);
    });
  }

  /** Idle from now: unreferenced, and stopped when no import comes within `idleMs`. */
  park(): void {
    this.setReferenced(false);
    this.idleTimer = setTimeout(() => void this.stop(), this.limits.idleMs);
    this.idleTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (!this.stopped) {
      this.stopped = true;
      this.setReferenced(true); // an idle child is unreferenced: without this, its exit would not be awaited
      this.child.kill('SIGKILL');
    }
    await this.exited;
  }

  /** The child, its IPC channel and its stderr pipe: each holds the api's event loop while referenced. */
  private setReferenced(referenced: boolean): void {
    const handles = [
      this.child,
      this.child.channel,
      this.child.stderr as (Readable & { ref(): void; unref(): void }) | null,
    ];
    for (const handle of handles) {
      if (referenced) handle?.ref();
      else handle?.unref();
    }
  }

  private exitFailure(code: number | null, signal: NodeJS.Signals | null): Error {
    if (OUT_OF_MEMORY.test(this.stderrTail)) {
      this.logger.warn(`an OpenAPI import ran out of its ${this.limits.memoryMb} MB; its process died`);
      return outOfMemory(this.limits);
    }
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    if (this.pending)
      this.logger.error(`the OpenAPI import process died (${how}): ${this.stderrTail.trim()}`);
    return new Error(`the OpenAPI import process stopped (${how})`);
  }

  private settle(): PendingImport {
    const pending = this.pending as PendingImport;
    clearTimeout(pending.timer);
    this.pending = null;
    return pending;
  }

  private fail(error: Error): void {
    if (this.pending) this.settle().reject(error);
  }
}

/**
 * Runs OpenAPI imports in child processes, so that a large document (GitHub's description: seconds
 * of CPU, hundreds of MB) neither holds the api's event loop nor can exhaust its memory: each child
 * has a hard heap limit (`CATALOG_IMPORT_MEMORY_MB`) and each import a time limit
 * (`CATALOG_IMPORT_TIMEOUT_SECONDS`); past either, the child dies and the upload is answered 413.
 * (Processes, not worker threads: a thread's heap limit is best-effort, and a thread reaching it
 * can abort the whole process; nodejs/node#47224.) Children start on demand and stay a minute after
 * an import; how many imports run at once is the caller's business (`ImportGate`).
 */
@Injectable()
export class ImportProcesses implements OnModuleDestroy {
  private readonly logger = new Logger(ImportProcesses.name);
  private readonly limits: ImportLimits;
  private readonly idle: ImportProcess[] = [];
  private readonly all = new Set<ImportProcess>();

  constructor(@Optional() env?: CatalogEnv) {
    const { CATALOG_IMPORT_MEMORY_MB, CATALOG_IMPORT_TIMEOUT_SECONDS } = env ?? new CatalogEnv();
    this.limits = {
      memoryMb: CATALOG_IMPORT_MEMORY_MB,
      timeoutMs: CATALOG_IMPORT_TIMEOUT_SECONDS * 1000,
      idleMs: OPENAPI_IMPORT_LIMITS.processIdleMs,
    };
  }

  async import(input: DocumentInput): Promise<SerializedImport> {
    let idle = this.idle.pop();
    while (idle?.stopped) idle = this.idle.pop(); // stopped when idle, not yet closed
    const child = idle ?? this.start();
    try {
      return await child.run(input);
    } finally {
      if (!child.stopped) {
        child.park();
        this.idle.push(child);
      }
    }
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.all].map((child) => child.stop()));
  }

  private start(): ImportProcess {
    const child = new ImportProcess(this.limits, this.logger, (stopped) => {
      this.all.delete(stopped);
      const at = this.idle.indexOf(stopped);
      if (at >= 0) this.idle.splice(at, 1);
    });
    this.all.add(child);
    return child;
  }
}
