import type { Request } from 'express';

export interface RequestMeta {
  ip: string;
  userAgent: string | null;
}

/** The caller's address and user agent, recorded on sessions and used by the auth throttles. */
export function requestMeta(req: Request): RequestMeta {
  return { ip: req.ip ?? req.socket.remoteAddress ?? 'unknown', userAgent: req.header('user-agent') ?? null };
}
