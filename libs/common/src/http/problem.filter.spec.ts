import type { ArgumentsHost } from '@nestjs/common';
import { NotFoundException } from '@nestjs/common';
import { AppError } from '../errors/app-error';
import { ProblemFilter } from './problem.filter';

interface Captured {
  status?: number;
  type?: string;
  body?: string;
  headers: Record<string, string>;
}

function hostFor(captured: Captured): ArgumentsHost {
  const res = {
    headersSent: false,
    getHeader: () => undefined,
    setHeader: (name: string, value: string) => (captured.headers[name] = value),
    status(code: number) {
      captured.status = code;
      return this;
    },
    type(value: string) {
      captured.type = value;
      return this;
    },
    send(body: string) {
      captured.body = body;
      return this;
    },
  };
  const req = { id: 'req-123', method: 'GET', path: '/v1/x' };
  return { switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }) } as unknown as ArgumentsHost;
}

describe('ProblemFilter', () => {
  const filter = new ProblemFilter();

  it('renders an unexpected error as a generic 500 with the request id and no internals', () => {
    const captured: Captured = { headers: {} };
    const error = new Error('connection to db-primary.internal:5432 refused; password=hunter2');
    filter.catch(error, hostFor(captured));
    expect(captured.status).toBe(500);
    expect(captured.type).toBe('application/problem+json');
    const body = JSON.parse(captured.body!) as Record<string, unknown>;
    expect(body).toMatchObject({ code: 'internal_error', status: 500, requestId: 'req-123' });
    expect(captured.body).not.toContain('db-primary');
    expect(captured.body).not.toContain('hunter2');
    expect(captured.body).not.toContain(' at ');
    expect(Object.keys(body).sort()).toEqual(['code', 'detail', 'requestId', 'status', 'title', 'type']);
  });

  it('renders an AppError with its code, extensions and headers', () => {
    const captured: Captured = { headers: {} };
    filter.catch(new AppError('rate_limit_exceeded', 'Slow down.', { retryAfter: 3 }, { 'Retry-After': '3' }), hostFor(captured));
    expect(captured.status).toBe(429);
    expect(captured.headers['Retry-After']).toBe('3');
    expect(JSON.parse(captured.body!)).toMatchObject({ code: 'rate_limit_exceeded', retryAfter: 3, detail: 'Slow down.' });
  });

  it('maps an unknown route to route_not_found', () => {
    const captured: Captured = { headers: {} };
    filter.catch(new NotFoundException(), hostFor(captured));
    expect(captured.status).toBe(404);
    expect(JSON.parse(captured.body!)).toMatchObject({ code: 'route_not_found' });
  });
});
