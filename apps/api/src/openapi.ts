import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

/** The api's OpenAPI document, generated from the controllers (committed as openapi/portico.json). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Portico API')
    .setDescription(
      'REST API of the Portico marketplace. Browser clients authenticate with the session cookie and echo ' +
        'the csrfToken in X-CSRF-Token on mutations. Errors are RFC 9457 application/problem+json with a stable `code`.',
    )
    .setVersion('1')
    .addCookieAuth('portico_session')
    .build();
  return SwaggerModule.createDocument(app, config, { operationIdFactory: (controllerKey, methodKey) => `${controllerKey.replace(/Controller$/, '')}_${methodKey}` });
}
