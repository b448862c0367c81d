import { notFound } from '@app/common';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { ApplicationEntity } from './application.entity';
import { ApplicationRepository } from './application.repository';

export interface ApplicationInput {
  name: string;
  description?: string | null;
}

@Injectable()
export class ApplicationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly applications: ApplicationRepository,
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
    return this.applications.insert(manager, accountId, { name: input.name, description: input.description ?? null });
  }
}
