import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { guardedLookup, UpstreamAddressRefusedError } from './guarded-lookup';
import type { HostLookup } from './upstream-url';

const table: Record<string, string[]> = {
  'upstream.test': ['127.0.0.1'],
  'public.test': ['93.184.215.14', '2606:4700:4700::1111'],
  'rebind.test': ['93.184.215.14', '169.254.169.254'],
};
const resolve: HostLookup = async (hostname) => {
  const answer = table[hostname];
  if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return answer;
};

function lookupOnce(
  lookup: ReturnType<typeof guardedLookup>,
  hostname: string,
  all: boolean,
  family?: 4 | 6,
): Promise<unknown> {
  return new Promise((done, fail) => {
    lookup(hostname, { all, family }, (error, address, fam) =>
      error ? fail(error) : done(all ? address : { address, family: fam }),
    );
  });
}

describe('guardedLookup', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((socket) => socket.end('hello'));
    await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolveClose) => server.close(resolveClose));
  });

  function dial(host: string, allowPrivate: boolean): Promise<string> {
    return new Promise((done, fail) => {
      const socket = connect({ host, port, lookup: guardedLookup({ allowPrivate, resolve }) });
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('end', () => done(data));
      socket.on('error', fail);
    });
  }

  it('refuses a socket to a name that resolves to loopback, naming the reason', async () => {
    const error = await dial('upstream.test', false).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamAddressRefusedError);
    expect((error as UpstreamAddressRefusedError).code).toBe('EUPSTREAMREFUSED');
    expect((error as Error).message).toContain('resolves to 127.0.0.1, a loopback address');
  });

  it('connects when the operator allows private upstreams', async () => {
    await expect(dial('upstream.test', true)).resolves.toBe('hello');
  });

  it('refuses when any of the addresses is refused (no picking the good one), even with private upstreams allowed', async () => {
    const lookup = guardedLookup({ allowPrivate: true, resolve });
    await expect(lookupOnce(lookup, 'rebind.test', true)).rejects.toThrow(
      'resolves to 169.254.169.254, a cloud metadata service address',
    );
  });

  it('answers in the shape the caller asked for (all or one, by family)', async () => {
    const lookup = guardedLookup({ allowPrivate: false, resolve });
    await expect(lookupOnce(lookup, 'public.test', true)).resolves.toEqual([
      { address: '93.184.215.14', family: 4 },
      { address: '2606:4700:4700::1111', family: 6 },
    ]);
    await expect(lookupOnce(lookup, 'public.test', false)).resolves.toEqual({
      address: '93.184.215.14',
      family: 4,
    });
    await expect(lookupOnce(lookup, 'public.test', false, 6)).resolves.toEqual({
      address: '2606:4700:4700::1111',
      family: 6,
    });
    await expect(lookupOnce(lookup, 'nowhere.test', false)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('checks address literals without asking DNS', async () => {
    const lookup = guardedLookup({
      allowPrivate: false,
      resolve: () => Promise.reject(new Error('DNS must not be asked')),
    });
    await expect(lookupOnce(lookup, '0x7f.1', false)).rejects.toThrow(
      'points at 127.0.0.1, a loopback address',
    );
    await expect(lookupOnce(lookup, '8.8.8.8', false)).resolves.toEqual({ address: '8.8.8.8', family: 4 });
  });
});
