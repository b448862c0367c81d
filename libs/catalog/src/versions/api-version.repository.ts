import { EntityRowReader } from '@app/common';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ApiListingEntity } from '../listings/api-listing.entity';
import { ProviderEntity } from '../providers/provider.entity';
import type { SerializedEndpoint } from './import-processes';
import { ApiEndpointEntity } from './api-endpoint.entity';
import { ApiVersionEntity, type EndpointChange, type VersionChangelog } from './api-version.entity';

/** A listing as the versions code needs it. */
export interface OwnedListing {
  id: string;
  currentVersionId: string | null;
}

/** A version row without its (possibly large) document. */
export type VersionSummary = Omit<ApiVersionEntity, 'document' | 'api'>;

export interface NewVersion {
  apiId: string;
  number: number;
  label: string;
  sourceFormat: string;
  /** The document's JSON text, stored as it is. */
  document: string;
  endpointCount: number;
}

export interface StoredDocument {
  versionId: string;
  versionNumber: number;
  /** The stored JSON text of the document, byte for byte. */
  documentText: string;
}

const VERSION_SUMMARY_COLUMNS = [
  'v.id',
  'v.apiId',
  'v.number',
  'v.label',
  'v.sourceFormat',
  'v.endpointCount',
  'v.changelog',
  'v.publishedAt',
  'v.createdAt',
];

/** Rows per INSERT of endpoints: bounded statements even for ~1 MB of JSON per endpoint. */
const ENDPOINT_INSERT_CHUNK = 100;

/** The endpoint fields a changelog compares (also the values of `changed[].fields` in the api). */
export const CHANGE_FIELDS = [
  'operationId',
  'summary',
  'description',
  'tags',
  'deprecated',
  'parameters',
  'requestBody',
  'responses',
] as const;

interface DiffRow extends Record<(typeof CHANGE_FIELDS)[number], boolean> {
  method: string;
  path: string;
  added: boolean;
  removed: boolean;
}

/**
 * Versions and endpoints of provider-owned listings. Methods over a provider's rows take the owner
 * account id and join api_listings → providers on it, so an unscoped read does not type-check;
 * methods taking an EntityManager run inside the caller's transaction after an owner check there.
 */
@Injectable()
export class ApiVersionRepository {
  /** `listCurrentEndpoints`: every gateway reloads each API it serves about twice a minute. */
  private readonly currentEndpoints: EntityRowReader<ApiEndpointEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.currentEndpoints = new EntityRowReader(
      dataSource,
      ApiEndpointEntity,
      `api_id = $1 AND version_id = (SELECT l.current_version_id FROM api_listings l WHERE l.id = $1)
       ORDER BY path ASC, method ASC`,
    );
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** The listing if the account owns its provider, else null (unknown id and someone else's alike). */
  findOwnedListing(
    ownerAccountId: string,
    apiId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<OwnedListing | null> {
    return this.ownedListingQuery(manager, ownerAccountId, apiId).getOne();
  }

  /** As findOwnedListing, locking the listing row until the transaction ends (serialises imports and publishes per API). */
  lockOwnedListing(
    manager: EntityManager,
    ownerAccountId: string,
    apiId: string,
  ): Promise<OwnedListing | null> {
    return this.ownedListingQuery(manager, ownerAccountId, apiId)
      .setLock('pessimistic_write', undefined, ['l'])
      .getOne();
  }

  private ownedListingQuery(manager: EntityManager, ownerAccountId: string, apiId: string) {
    return manager
      .createQueryBuilder(ApiListingEntity, 'l')
      .select(['l.id', 'l.currentVersionId'])
      .innerJoin(ProviderEntity, 'p', 'p.id = l.providerId')
      .where('l.id = :apiId AND p.ownerAccountId = :ownerAccountId', { apiId, ownerAccountId });
  }

  async nextNumber(manager: EntityManager, apiId: string): Promise<number> {
    const [row] = await manager.query<{ next: number }[]>(
      'SELECT COALESCE(MAX(number), 0) + 1 AS next FROM api_versions WHERE api_id = $1',
      [apiId],
    );
    return Number(row.next);
  }

  /** Inserts a version; its document goes in as the JSON text the import made (no object on this side). */
  async insertVersion(manager: EntityManager, values: NewVersion): Promise<VersionSummary> {
    const [row] = await manager.query<VersionSummary[]>(
      `INSERT INTO api_versions (api_id, number, label, source_format, document, endpoint_count)
       VALUES ($1, $2, $3, $4, $5::json, $6)
       RETURNING id, api_id AS "apiId", number, label, source_format AS "sourceFormat",
                 endpoint_count AS "endpointCount", changelog, published_at AS "publishedAt", created_at AS "createdAt"`,
      [values.apiId, values.number, values.label, values.sourceFormat, values.document, values.endpointCount],
    );
    return row;
  }

  /** Inserts a version's endpoints, their JSON columns as the import serialised them, 100 rows per statement. */
  async insertEndpoints(
    manager: EntityManager,
    apiId: string,
    versionId: string,
    endpoints: readonly SerializedEndpoint[],
  ): Promise<void> {
    for (let start = 0; start < endpoints.length; start += ENDPOINT_INSERT_CHUNK) {
      const chunk = endpoints.slice(start, start + ENDPOINT_INSERT_CHUNK);
      const parameters: unknown[] = [apiId, versionId];
      const rows = chunk.map((endpoint) => {
        const at = parameters.length;
        parameters.push(
          endpoint.method,
          endpoint.path,
          endpoint.operationId,
          endpoint.summary,
          endpoint.description,
          endpoint.tags,
          endpoint.deprecated,
          endpoint.parameters,
          endpoint.requestBody,
          endpoint.responses,
        );
        const $ = (column: number) => `$${at + column}`;
        return `($1, $2, ${$(1)}, ${$(2)}, ${$(3)}, ${$(4)}, ${$(5)}, ${$(6)}::text[], ${$(7)}, ${$(8)}::jsonb, ${$(9)}::jsonb, ${$(10)}::jsonb)`;
      });
      await manager.query(
        `INSERT INTO api_endpoints (api_id, version_id, method, path, operation_id, summary, description, tags, deprecated, parameters, request_body, responses)
         VALUES ${rows.join(', ')}`,
        parameters,
      );
    }
  }

  /**
   * What changed from `fromVersionId` (null: nothing, every endpoint is added) to `toVersionId`,
   * endpoints keyed by METHOD + path template. Compared in PostgreSQL: jsonb equality ignores key
   * order, so only real differences count.
   */
  async diff(
    manager: EntityManager,
    fromVersionId: string | null,
    toVersionId: string,
  ): Promise<VersionChangelog> {
    const rows = await manager.query<DiffRow[]>(
      `SELECT COALESCE(n.method, o.method) AS method, COALESCE(n.path, o.path) AS path,
              o.id IS NULL AS added, n.id IS NULL AS removed,
              n.operation_id IS DISTINCT FROM o.operation_id AS "operationId",
              n.summary IS DISTINCT FROM o.summary AS summary,
              n.description IS DISTINCT FROM o.description AS description,
              n.tags IS DISTINCT FROM o.tags AS tags,
              n.deprecated IS DISTINCT FROM o.deprecated AS deprecated,
              n.parameters IS DISTINCT FROM o.parameters AS parameters,
              n.request_body IS DISTINCT FROM o.request_body AS "requestBody",
              n.responses IS DISTINCT FROM o.responses AS responses
         FROM (SELECT * FROM api_endpoints WHERE version_id = $1) n
         FULL OUTER JOIN (SELECT * FROM api_endpoints WHERE version_id = $2::uuid) o
           ON o.method = n.method AND o.path = n.path
        ORDER BY 2, 1`,
      [toVersionId, fromVersionId],
    );
    const changelog: VersionChangelog = { added: [], removed: [], changed: [] };
    for (const row of rows) {
      const key: EndpointChange = { method: row.method, path: row.path };
      if (row.added) changelog.added.push(key);
      else if (row.removed) changelog.removed.push(key);
      else {
        const fields = CHANGE_FIELDS.filter((field) => row[field]);
        if (fields.length > 0) changelog.changed.push({ ...key, fields });
      }
    }
    return changelog;
  }

  listVersions(ownerAccountId: string, apiId: string): Promise<VersionSummary[]> {
    return this.ownedVersionQuery(this.dataSource.manager, ownerAccountId, apiId)
      .orderBy('v.number', 'DESC')
      .getMany();
  }

  findVersion(
    ownerAccountId: string,
    apiId: string,
    versionId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<VersionSummary | null> {
    return this.ownedVersionQuery(manager, ownerAccountId, apiId)
      .andWhere('v.id = :versionId', { versionId })
      .getOne();
  }

  private ownedVersionQuery(manager: EntityManager, ownerAccountId: string, apiId: string) {
    return manager
      .createQueryBuilder(ApiVersionEntity, 'v')
      .select(VERSION_SUMMARY_COLUMNS)
      .innerJoin(ApiListingEntity, 'l', 'l.id = v.apiId')
      .innerJoin(ProviderEntity, 'p', 'p.id = l.providerId')
      .where('v.apiId = :apiId AND p.ownerAccountId = :ownerAccountId', { apiId, ownerAccountId });
  }

  listEndpoints(ownerAccountId: string, apiId: string, versionId: string): Promise<ApiEndpointEntity[]> {
    return this.dataSource.manager
      .createQueryBuilder(ApiEndpointEntity, 'e')
      .innerJoin(ApiListingEntity, 'l', 'l.id = e.apiId')
      .innerJoin(ProviderEntity, 'p', 'p.id = l.providerId')
      .where('e.apiId = :apiId AND e.versionId = :versionId AND p.ownerAccountId = :ownerAccountId', {
        apiId,
        versionId,
        ownerAccountId,
      })
      .orderBy('e.path', 'ASC')
      .addOrderBy('e.method', 'ASC')
      .getMany();
  }

  async markPublished(
    manager: EntityManager,
    apiId: string,
    versionId: string,
    changelog: VersionChangelog,
    at: Date,
  ): Promise<void> {
    await manager.update(ApiVersionEntity, { id: versionId, apiId }, { publishedAt: at, changelog });
    await manager.update(ApiListingEntity, { id: apiId }, { currentVersionId: versionId });
  }

  /** System read (gateway routing, plans, the public catalog): the current version's endpoints. */
  listCurrentEndpoints(apiId: string): Promise<ApiEndpointEntity[]> {
    return this.currentEndpoints.findAll([apiId]);
  }

  /** The stored JSON text of a version's document, byte for byte (callers decide who may see it). */
  async findDocument(apiId: string, versionId: string): Promise<StoredDocument | null> {
    const [row] = await this.dataSource.query<StoredDocument[]>(
      `SELECT id AS "versionId", number AS "versionNumber", document::text AS "documentText"
         FROM api_versions WHERE id = $1 AND api_id = $2`,
      [versionId, apiId],
    );
    return row ?? null;
  }
}
