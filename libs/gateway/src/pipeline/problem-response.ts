import { AppError, PROBLEM_CONTENT_TYPE, toProblem } from '@app/common';
import type { ServerResponse } from 'node:http';

/** Writes a gateway-generated error (DESIGN §4), marked so consumers can tell it from the upstream's. */
export function sendProblem(res: ServerResponse, error: AppError, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(toProblem(error, requestId));
  res.writeHead(error.status, {
    ...error.headers,
    'Content-Type': PROBLEM_CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(body),
    'X-Portico-Generated': 'true',
    'X-Portico-Request-Id': requestId,
  });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, payload: unknown, requestId: string): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'X-Portico-Generated': 'true',
    'X-Portico-Request-Id': requestId,
  });
  res.end(body);
}
