import { AppError, Clock, conflict, EventBus } from '@app/common';
import { Injectable, Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { stringify as toYaml } from 'yaml';
import type { ApiEndpointEntity } from './api-endpoint.entity';
import type { VersionChangelog } from './api-version.entity';
import { ApiVersionRepository, type OwnedListing, type VersionSummary } from './api-version.repository';
import { ENDPOINTS_CHANGED_EVENT } from './endpoints-changed.event';
import { ImportGate } from './import-gate';
import { ImportProcesses } from './import-processes';
import { OPENAPI_IMPORT_LIMITS } from './openapi-import.limits';
import { PublicCatalogService, type CatalogViewer } from '../listings/public-catalog.service';
import type { DocumentInput } from './openapi-document.reader';
import type { ImportTimings } from './openapi-importer.service';

/** draft: imported, never published; current: the listing's current version; superseded: published before, replaced since. */
export type VersionStatus = 'draft' | 'current' | 'superseded';

export interface VersionView extends VersionSummary {
  status: VersionStatus;
}

export interface VersionDetail extends VersionView {
  endpoints: ApiEndpointEntity[];
}

export interface ImportResult {
  version: VersionView;
  /** What publishing this version now would record (against the current version; all added when there is none). */
  changelogPreview: VersionChangelog;
  warnings: string[];
  timings: ImportTimings & { storeMs: number };
}

export type DocumentFormat = 'json' | 'yaml';

export interface RenderedDocument {
  contentType: string;
  body: string;
  apiId: string;
  versionId: string;
  versionNumber: number;
}

function apiNotFound(): AppError {
  return new AppError('not_found', 'API not found: no API with this id belongs to your provider account.');
}

function versionNotFound(): AppError {
  return new AppError('not_found', 'Version not found: this API has no version with this id.');
}

function view(version: VersionSummary, currentVersionId: string | null): VersionView {
  const status: VersionStatus =
    version.id === currentVersionId ? 'current' : version.publishedAt ? 'superseded' : 'draft';
  return { ...version, status };
}

/**
 * OpenAPI versions of a provider's API. Importing stores a draft version with its endpoints (one
 * transaction); publishing makes a draft the current version and records its changelog against
 * the version it replaces. Versions are history: a superseded version is not published again.
 */
@Injectable()
export class ApiVersionsService {
  private readonly logger = new Logger(ApiVersionsService.name);
  private readonly gate = new ImportGate(
    OPENAPI_IMPORT_LIMITS.maxConcurrentImports,
    OPENAPI_IMPORT_LIMITS.maxQueuedImports,
  );
  /** Rendered YAML by version id: documents never change, and YAML output of a large one costs seconds. */
  private readonly yamlCache = new LRUCache<string, string>({
    maxSize: 64 * 1024 * 1024,
    sizeCalculation: (text) => Math.max(1, text.length),
  });

  constructor(
    private readonly versions: ApiVersionRepository,
    private readonly importProcesses: ImportProcesses,
    private readonly clock: Clock,
    private readonly events: EventBus,
    private readonly catalog: PublicCatalogService,
  ) {}

  async importDocument(ownerAccountId: string, apiId: string, input: DocumentInput): Promise<ImportResult> {
    // the owner check comes first: nobody spends the import's CPU on someone else's API
    if (!(await this.versions.findOwnedListing(ownerAccountId, apiId))) throw apiNotFound();
    const imported = await this.gate.run(() => this.importProcesses.import(input));
    const start = process.hrtime.bigint();
    const stored = await this.versions.transaction(async (manager) => {
      const listing = await this.versions.lockOwnedListing(manager, ownerAccountId, apiId);
      if (!listing) throw apiNotFound();
      const version = await this.versions.insertVersion(manager, {
        apiId,
        number: await this.versions.nextNumber(manager, apiId),
        label: imported.label,
        sourceFormat: imported.sourceFormat,
        document: imported.document,
        endpointCount: imported.endpoints.length,
      });
      await this.versions.insertEndpoints(manager, apiId, version.id, imported.endpoints);
      const changelogPreview = await this.versions.diff(manager, listing.currentVersionId, version.id);
      return { version, changelogPreview, listing };
    });
    const storeMs = Number(process.hrtime.bigint() - start) / 1e6;
    return {
      version: view(stored.version, stored.listing.currentVersionId),
      changelogPreview: stored.changelogPreview,
      warnings: imported.warnings,
      timings: { ...imported.timings, storeMs },
    };
  }

  async publish(ownerAccountId: string, apiId: string, versionId: string): Promise<VersionView> {
    const outcome = await this.versions.transaction(async (manager) => {
      const listing: OwnedListing | null = await this.versions.lockOwnedListing(
        manager,
        ownerAccountId,
        apiId,
      );
      if (!listing) throw apiNotFound();
      const version = await this.versions.findVersion(ownerAccountId, apiId, versionId, manager);
      if (!version) throw versionNotFound();
      if (listing.currentVersionId === version.id) return { version, published: false };
      if (version.publishedAt) {
        throw conflict(
          `Version ${version.number} was published before and has been superseded; versions are kept as history and published once. ` +
            'Import its document again (GET the version, or your copy) to make it current as a new version.',
        );
      }
      const changelog = await this.versions.diff(manager, listing.currentVersionId, version.id);
      const publishedAt = this.clock.now();
      await this.versions.markPublished(manager, apiId, version.id, changelog, publishedAt);
      return { version: { ...version, publishedAt, changelog }, published: true };
    });
    if (outcome.published) {
      this.events.publish(ENDPOINTS_CHANGED_EVENT, apiId).catch((error: unknown) => {
        this.logger.warn(
          { err: error, apiId },
          'could not broadcast endpoints-changed; caches expire by TTL',
        );
      });
    }
    return view(outcome.version, outcome.version.id);
  }

  async list(ownerAccountId: string, apiId: string): Promise<VersionView[]> {
    const listing = await this.versions.findOwnedListing(ownerAccountId, apiId);
    if (!listing) throw apiNotFound();
    return (await this.versions.listVersions(ownerAccountId, apiId)).map((version) =>
      view(version, listing.currentVersionId),
    );
  }

  async get(ownerAccountId: string, apiId: string, versionId: string): Promise<VersionDetail> {
    const listing = await this.versions.findOwnedListing(ownerAccountId, apiId);
    if (!listing) throw apiNotFound();
    const version = await this.versions.findVersion(ownerAccountId, apiId, versionId);
    if (!version) throw versionNotFound();
    const endpoints = await this.versions.listEndpoints(ownerAccountId, apiId, versionId);
    return { ...view(version, listing.currentVersionId), endpoints };
  }

  /**
   * The current document of the API with this slug, as uploaded, to whoever may see the listing
   * (the public catalog's rule: anyone for a live public listing, invited accounts for a private
   * one, the owner always); everyone else, and an API without a published version, gets the 404
   * an unknown slug gets.
   */
  async renderCurrentDocument(
    slug: string,
    viewer: CatalogViewer | null,
    format: DocumentFormat,
  ): Promise<RenderedDocument> {
    const listing = await this.catalog.findVisibleBySlug(slug, viewer);
    const found = listing.currentVersionId
      ? await this.versions.findDocument(listing.id, listing.currentVersionId)
      : null;
    if (!found) throw new AppError('not_found', `The API "${slug}" has no published OpenAPI document yet.`);
    const meta = { apiId: listing.id, versionId: found.versionId, versionNumber: found.versionNumber };
    if (format === 'json')
      return { contentType: 'application/json; charset=utf-8', body: found.documentText, ...meta };
    let yaml = this.yamlCache.get(found.versionId);
    if (yaml === undefined) {
      yaml = toYaml(JSON.parse(found.documentText), { aliasDuplicateObjects: false, lineWidth: 0 });
      this.yamlCache.set(found.versionId, yaml);
    }
    return { contentType: 'application/yaml; charset=utf-8', body: yaml, ...meta };
  }
}
