import { readOasExample } from '@app/catalog/testing';
import { execFile, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

/**
 * The OpenAPI import's child process is a webpack entry of its own (webpack.config.js): built the
 * way `npm run build` builds (nest build, the project's webpack hook), into a scratch folder, the
 * cli's bundle must ship it next to main.js, where ImportProcesses looks for it, and it must import
 * a document over IPC without ts-node. Tests elsewhere run the child from source.
 */
const ROOT = join(__dirname, '..', '..');
// inside the repository, so that the bundles' external requires find node_modules
const OUT = join(ROOT, 'dist', `.test-build-${randomBytes(4).toString('hex')}`);

describe('the import child in the bundles', () => {
  afterAll(() => rmSync(OUT, { recursive: true, force: true }));

  it("nest build puts openapi-import.process.js next to the app's main.js, and it imports a document", async () => {
    mkdirSync(OUT, { recursive: true });
    const wrapper = join(OUT, 'webpack.config.js');
    // the project's hook, with the output redirected to the scratch folder (nest resolves the path from the cwd)
    writeFileSync(
      wrapper,
      `const project = require(${JSON.stringify(join(ROOT, 'webpack.config.js'))});
       module.exports = (options, webpack) => {
         const config = project(options, webpack);
         return { ...config, output: { ...config.output, path: ${JSON.stringify(OUT)} } };
       };`,
    );
    await promisify(execFile)(
      process.execPath,
      [
        join(ROOT, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js'),
        'build',
        'cli',
        '--webpackPath',
        relative(ROOT, wrapper),
      ],
      { cwd: ROOT, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
    );
    const app = join(OUT, 'apps', 'cli');
    expect(existsSync(join(app, 'main.js'))).toBe(true);
    // ImportProcesses' lookup, bundled into main.js, names the file by this name
    expect(readFileSync(join(app, 'main.js'), 'utf8')).toContain("'openapi-import.process.js'");

    const child = fork(join(app, 'openapi-import.process.js'), [], {
      serialization: 'advanced',
      env: {},
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    try {
      const replies: unknown[] = [];
      const imported = new Promise<{
        ok: boolean;
        imported?: { endpoints: { method: string; path: string }[] };
      }>((resolve, reject) => {
        child.on('message', (reply: { ready?: true; id?: number; ok?: boolean }) => {
          replies.push(reply);
          if (reply.ready) {
            child.send({
              id: 1,
              input: { kind: 'text', text: readOasExample('3.0/json/petstore.json'), syntax: 'json' },
            });
          } else resolve(reply as { ok: boolean });
        });
        child.on('exit', (code) =>
          reject(new Error(`the bundled child exited (${code}) after ${JSON.stringify(replies)}`)),
        );
      });
      const reply = await imported;
      expect(reply.ok).toBe(true);
      expect(reply.imported?.endpoints.map((e) => `${e.method} ${e.path}`)).toContain('GET /pet/{petId}');
    } finally {
      child.kill('SIGKILL');
    }
  }, 300_000);
});
