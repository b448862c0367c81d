/**
 * The OpenAPI import's child process: runs the pure pipeline of `OpenApiImporter` on the documents
 * the api's `ImportProcesses` sends over IPC, so that parsing, validating and dereferencing a large
 * document neither holds the api's event loop nor can exhaust the api's memory. Built as a webpack
 * entry of its own (`openapi-import.process.js` next to each app's `main.js`, webpack.config.js); run
 * from source through ts-node in tests and scripts.
 */
import { AppError } from '@app/common';
import type { ImportReply, ImportRequest, SerializedImport } from './import-processes';
import { OpenApiImporter, type ImportedDocument } from './openapi-importer.service';

const importer = new OpenApiImporter();

function serialized({ document, endpoints, ...rest }: ImportedDocument): SerializedImport {
  return {
    ...rest,
    document: JSON.stringify(document),
    endpoints: endpoints.map(({ parameters, requestBody, responses, ...endpoint }) => ({
      ...endpoint,
      parameters: JSON.stringify(parameters),
      requestBody: requestBody === null ? null : JSON.stringify(requestBody),
      responses: JSON.stringify(responses),
    })),
  };
}

function reply(message: ImportReply): void {
  process.send?.(message);
}

async function handle({ id, input }: ImportRequest): Promise<void> {
  try {
    reply({ id, ok: true, imported: serialized(await importer.import(input)) });
  } catch (error) {
    reply({
      id,
      ok: false,
      error:
        error instanceof AppError
          ? {
              kind: 'app',
              code: error.code,
              detail: error.detail,
              extensions: error.extensions,
              headers: error.headers,
            }
          : {
              kind: 'crash',
              message: error instanceof Error ? (error.stack ?? error.message) : String(error),
            },
    });
  }
}

process.on('message', (request: ImportRequest) => void handle(request));
// the api went away (even SIGKILLed): nothing is left to import for
process.on('disconnect', () => process.exit(0));
reply({ ready: true });
