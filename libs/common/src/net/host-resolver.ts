import { Injectable } from '@nestjs/common';
import { systemHostLookup } from './upstream-url';

/**
 * Turns a host name into every address it has. The injectable form of `HostLookup`, so the api
 * and the gateway resolve through one seam that tests replace (nothing leaves loopback in tests).
 */
export abstract class HostResolver {
  abstract lookup(hostname: string): Promise<string[]>;
}

/** getaddrinfo via `dns.promises.lookup(host, { all: true })`. */
@Injectable()
export class SystemHostResolver extends HostResolver {
  lookup(hostname: string): Promise<string[]> {
    return systemHostLookup(hostname);
  }
}
