import { Injectable } from '@nestjs/common';
import type { ApiEndpointEntity } from './api-endpoint.entity';
import { ApiVersionRepository } from './api-version.repository';

/**
 * Read side of an API's endpoints for other libs and apps (gateway routing, plans, the public
 * catalog). Not owner-scoped: callers decide who may see what.
 */
@Injectable()
export class EndpointsService {
  constructor(private readonly versions: ApiVersionRepository) {}

  /** The endpoints of the API's current (published) version, by path then method; [] when none is published. */
  listCurrent(apiId: string): Promise<ApiEndpointEntity[]> {
    return this.versions.listCurrentEndpoints(apiId);
  }
}
