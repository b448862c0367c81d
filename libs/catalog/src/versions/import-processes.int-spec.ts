import { appErrorOf } from '@app/common/testing';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CatalogEnv } from '../catalog.env';
import { GITHUB_REST_DESCRIPTION, operationKeys, readOasExample } from '../testing';
import { ImportProcesses, type SerializedImport } from './import-processes';
import type { DocumentInput } from './openapi-document.reader';
import { OPENAPI_IMPORT_LIMITS } from './openapi-import.limits';

const GITHUB = readFileSync(GITHUB_REST_DESCRIPTION, 'utf8');
const PETSTORE_TEXT = readOasExample('3.0/json/petstore.json');
const PETSTORE: DocumentInput = { kind: 'text', text: PETSTORE_TEXT, syntax: 'json' };

function endpointKeys(imported: SerializedImport): string[] {
  return imported.endpoints.map((e) => `${e.method} ${e.path}`).sort();
}

function processesWith(env: Partial<CatalogEnv>): ImportProcesses {
  return new ImportProcesses(Object.assign(new CatalogEnv(), env));
}

/** Runs `work` while counting the turns of this process's event loop (setImmediate callbacks). */
async function loopTurnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let done = false;
  const spin = (): void => {
    turns += 1;
    if (!done) setImmediate(spin);
  };
  setImmediate(spin);
  try {
    return { result: await work(), turns };
  } finally {
    done = true;
  }
}

describe('ImportProcesses (OpenAPI imports in child processes, with hard limits)', () => {
  const started: ImportProcesses[] = [];
  function track(processes: ImportProcesses): ImportProcesses {
    started.push(processes);
    return processes;
  }

  afterAll(async () => {
    await Promise.all(started.map((processes) => processes.onModuleDestroy()));
  });

  it("imports GitHub's description in a child process: the api's event loop keeps turning all the while", async () => {
    const processes = track(new ImportProcesses());
    const { result, turns } = await loopTurnsDuring(() =>
      processes.import({ kind: 'text', text: GITHUB, syntax: 'json' }),
    );
    expect(endpointKeys(result)).toEqual(operationKeys(JSON.parse(GITHUB)));
    // the document and the endpoints' JSON cross as text, to be stored as they are
    expect(JSON.parse(result.document)).toEqual(JSON.parse(GITHUB));
    expect(JSON.parse(result.endpoints[0].responses)).toEqual(expect.any(Object));
    // run here, the pipeline's stages are synchronous for seconds: 0 turns (measured); in a child, hundreds of thousands
    expect(turns).toBeGreaterThan(1_000);
  }, 120_000);

  it('stops an import past its memory limit (413 naming the limit) and imports the next document in a new process', async () => {
    const processes = track(processesWith({ CATALOG_IMPORT_MEMORY_MB: 64 }));
    const error = await appErrorOf(processes.import({ kind: 'text', text: GITHUB, syntax: 'json' }));
    expect(error.code).toBe('payload_too_large');
    expect(error.status).toBe(413);
    expect(error.extensions).toEqual({ limitMegabytes: 64 });
    expect(error.detail).toMatch(/more than 64 MB of memory.*CATALOG_IMPORT_MEMORY_MB/);
    const next = await processes.import(PETSTORE);
    expect(endpointKeys(next)).toEqual(operationKeys(JSON.parse(PETSTORE_TEXT)));
  }, 60_000);

  it('stops an import past its time limit (413 naming the limit) and imports the next document in a new process', async () => {
    const processes = track(processesWith({ CATALOG_IMPORT_TIMEOUT_SECONDS: 1 }));
    // started once: a child's start (ts-node here) does not count
    await processes.import(PETSTORE);
    const error = await appErrorOf(processes.import({ kind: 'text', text: GITHUB, syntax: 'json' }));
    expect(error.code).toBe('payload_too_large');
    expect(error.extensions).toEqual({ limitSeconds: 1 });
    expect(error.detail).toMatch(/longer than 1 s.*CATALOG_IMPORT_TIMEOUT_SECONDS/);
    const next = await processes.import(PETSTORE);
    expect(endpointKeys(next)).toEqual(operationKeys(JSON.parse(PETSTORE_TEXT)));
  }, 60_000);

  it("does not keep the api's process alive once the import is done (a CLI exits without closing anything)", async () => {
    const script = `
      const { ImportProcesses } = require(${JSON.stringify(join(__dirname, 'import-processes.ts'))});
      new ImportProcesses()
        .import({ kind: 'text', text: JSON.stringify({ openapi: '3.0.3', info: { title: 't', version: '7' }, paths: {} }), syntax: 'json' })
        .then((imported) => console.log('imported version', imported.label));
    `;
    // hung on the idle child (its IPC channel or stderr pipe), this process would be killed by the timeout instead
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--require',
        'ts-node/register/transpile-only',
        '--require',
        'tsconfig-paths/register',
        '--eval',
        script,
      ],
      { timeout: 60_000, killSignal: 'SIGKILL' },
    );
    expect(stdout.trim()).toBe('imported version 7');
  }, 90_000);

  it('stops a child left idle for a minute, and starts a new one for the next import', async () => {
    // its children are told from the other tests' by their heap limit
    const processes = track(processesWith({ CATALOG_IMPORT_MEMORY_MB: 1234 }));
    const children = (): string[] =>
      execFileSync('ps', ['--ppid', String(process.pid), '-o', 'args='], { encoding: 'utf8' })
        .split('\n')
        .filter(
          (args) => args.includes('openapi-import.process') && args.includes('--max-old-space-size=1234'),
        );
    await processes.import(PETSTORE);
    expect(children()).toHaveLength(1);
    // parked with its idle timer: a minute of fake time (the child's IPC and exit are real I/O)
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate', 'Date', 'hrtime', 'performance'],
    });
    try {
      await processes.import(PETSTORE);
      expect(children()).toHaveLength(1);
      jest.advanceTimersByTime(OPENAPI_IMPORT_LIMITS.processIdleMs);
    } finally {
      jest.useRealTimers();
    }
    for (let waited = 0; children().length > 0 && waited < 100; waited++)
      await new Promise((r) => setTimeout(r, 100));
    expect(children()).toEqual([]);
    expect(endpointKeys(await processes.import(PETSTORE))).toEqual(operationKeys(JSON.parse(PETSTORE_TEXT)));
    expect(children()).toHaveLength(1);
  }, 60_000);
});
