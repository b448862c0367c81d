import { Clock, notFound, validationFailed } from '@app/common';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ApiKeyRepository } from '../keys/api-key.repository';
import { KeyInvalidationService } from '../keys/key-invalidation.service';
import type { ApplicationEntity } from './application.entity';
import { ApplicationRepository } from './application.repository';

export interface ApplicationInput {
  name: string;
  description?: string | null;
}

/** Only the fields present change; `description: null` clears it. */
export interface ApplicationChanges {
  name?: string;
  description?: string | null;
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 100)
    throw validationFailed('name', 'must be 1–100 characters, not only spaces');
  return trimmed;
}

@Injectable()
export class ApplicationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly applications: ApplicationRepository,
    private readonly keys: ApiKeyRepository,
    private readonly invalidations: KeyInvalidationService,
    private readonly clock: Clock,
  ) {}

  list(accountId: string): Promise<ApplicationEntity[]> {
    return this.applications.list(accountId);
  }

  async get(accountId: string, id: string): Promise<ApplicationEntity> {
    const application = await this.applications.get(accountId, id);
    if (!application) throw notFound(`Application ${id}`);
    return application;
  }

  create(accountId: string, input: ApplicationInput): Promise<ApplicationEntity> {
    return this.dataSource.transaction((manager) => this.createIn(manager, accountId, input));
  }

  createIn(manager: EntityManager, accountId: string, input: ApplicationInput): Promise<ApplicationEntity> {
    return this.applications.insert(manager, accountId, {
      name: checkName(input.name),
      description: input.description ?? null,
    });
  }

  async update(accountId: string, id: string, changes: ApplicationChanges): Promise<ApplicationEntity> {
    const values: ApplicationChanges = {};
    if (changes.name !== undefined) values.name = checkName(changes.name);
    if (changes.description !== undefined) values.description = changes.description;
    if (Object.keys(values).length > 0 && !(await this.applications.update(accountId, id, values)))
      throw notFound(`Application ${id}`);
    return this.get(accountId, id);
  }

  /**
   * Marks the application deleted and revokes all its keys in one transaction, then tells every
   * key cache. The row stays (usage history points at it) but disappears from every owner read.
   */
  async delete(accountId: string, id: string): Promise<void> {
    const now = this.clock.now();
    const revoked = await this.dataSource.transaction(async (manager) => {
      if (!(await this.applications.lock(manager, accountId, id, 'update')))
        throw notFound(`Application ${id}`);
      await this.applications.markDeleted(manager, accountId, id, now);
      return this.keys.revokeAllForApplication(manager, accountId, id, now);
    });
    await this.invalidations.publish(revoked);
  }
}
