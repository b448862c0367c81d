import pino from 'pino';
import { Writable } from 'node:stream';
import { CoreEnv } from '../config/core.env';
import { pinoOptions } from './logger';

function capture(): { stream: Writable; lines: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString();
      done();
    },
  });
  return { stream, lines: () => out };
}

describe('log redaction', () => {
  it('never writes keys, cookies, passwords or secrets', () => {
    const env = Object.assign(new CoreEnv(), { LOG_FORMAT: 'json', LOG_LEVEL: 'info' });
    const { stream, lines } = capture();
    const { transport: _transport, ...options } = pinoOptions(env, 'test');
    const logger = pino(options, stream);
    logger.info({
      req: { headers: { authorization: 'Bearer abc123', cookie: 'portico_session=s3cr3t', 'x-portico-key': 'mp_live_leak' } },
      res: { headers: { 'set-cookie': 'portico_session=s3cr3t2' } },
      password: 'hunter2',
      body: { password: 'hunter3', newPassword: 'hunter4', token: 'tok-1' },
      job: { payload: { secret: 'whsec_1', apiKey: 'mp_test_leak2' } },
    });
    const text = lines();
    for (const secret of ['abc123', 's3cr3t', 'mp_live_leak', 'hunter2', 'hunter3', 'hunter4', 'tok-1', 'whsec_1', 'mp_test_leak2']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[redacted]');
  });
});
