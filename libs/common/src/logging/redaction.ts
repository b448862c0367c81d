/**
 * Log paths that never reach a log line in clear. pino replaces their values with "[redacted]".
 * Covers request headers that carry credentials, cookies set in responses, and any object member
 * named like a credential up to two levels deep (err.config.password, payload.secret, …).
 */
const SECRET_NAMES = [
  'password',
  'currentPassword',
  'newPassword',
  'passwordHash',
  'secret',
  'clientSecret',
  'apiKey',
  'key',
  'token',
  'accessToken',
  'refreshToken',
  'csrfToken',
  'sessionToken',
  'authorization',
  'cookie',
];

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-portico-key"]',
  'req.headers["x-csrf-token"]',
  'req.headers["x-portico-proxy-secret"]',
  'req.headers["stripe-signature"]',
  'res.headers["set-cookie"]',
  ...SECRET_NAMES.flatMap((name) => [name, `*.${name}`, `*.*.${name}`]),
];
