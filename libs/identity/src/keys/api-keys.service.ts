import { AppError, Clock, notFound, sha256Hex } from '@app/common';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ApplicationRepository } from '../applications/application.repository';
import type { ApiKeyEntity, ApiKeyKind, ApiKeyMode } from './api-key.entity';
import { generateApiKey, parseApiKey } from './api-key.format';
import { ApiKeyRepository } from './api-key.repository';

export interface CreateApiKeyInput {
  label?: string;
  kind?: ApiKeyKind;
  mode?: ApiKeyMode;
  scopes?: string[];
  ipAllowlist?: string[];
  allowedOrigins?: string[];
  expiresAt?: Date | null;
}

/** A key as created: the only moment its full value exists outside the caller's hands. */
export interface CreatedApiKey {
  key: ApiKeyEntity;
  secret: string;
}

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: ApiKeyRepository,
    private readonly applications: ApplicationRepository,
    private readonly clock: Clock,
  ) {}

  async list(accountId: string, applicationId: string): Promise<ApiKeyEntity[]> {
    await this.requireApplication(accountId, applicationId);
    return this.keys.listForApplication(accountId, applicationId);
  }

  async get(accountId: string, keyId: string): Promise<ApiKeyEntity> {
    const key = await this.keys.get(accountId, keyId);
    if (!key) throw notFound(`Key ${keyId}`);
    return key;
  }

  async create(accountId: string, applicationId: string, input: CreateApiKeyInput): Promise<CreatedApiKey> {
    await this.requireApplication(accountId, applicationId);
    return this.dataSource.transaction((manager) => this.createIn(manager, accountId, applicationId, input));
  }

  /** Creates a key inside the caller's transaction (sign-up creates the first key with the account). */
  async createIn(manager: EntityManager, accountId: string, applicationId: string, input: CreateApiKeyInput): Promise<CreatedApiKey> {
    const kind = input.kind ?? 'secret';
    const mode = input.mode ?? 'test';
    if (kind === 'secret' && (input.allowedOrigins?.length ?? 0) > 0) {
      throw new AppError('validation_failed', 'allowedOrigins: only publishable keys are restricted to browser origins; secret keys must never be used from a browser.', {
        errors: [{ field: 'allowedOrigins', message: 'only allowed on publishable keys' }],
      });
    }
    if (input.expiresAt && input.expiresAt.getTime() <= this.clock.now().getTime()) {
      throw new AppError('validation_failed', 'expiresAt: must be in the future.', { errors: [{ field: 'expiresAt', message: 'must be in the future' }] });
    }
    const secret = generateApiKey(kind, mode);
    const parsed = parseApiKey(secret);
    if (!parsed) throw new Error('generated key failed its own checksum');
    const key = await this.keys.insert(manager, accountId, {
      applicationId,
      kind,
      mode,
      keyHash: sha256Hex(secret),
      prefix: parsed.prefix,
      lastFour: parsed.lastFour,
      label: input.label ?? `${mode === 'live' ? 'Live' : 'Test'} ${kind} key`,
      scopes: input.scopes ?? ['*'],
      ipAllowlist: input.ipAllowlist ?? [],
      allowedOrigins: input.allowedOrigins ?? [],
      expiresAt: input.expiresAt ?? null,
    });
    return { key, secret };
  }

  private async requireApplication(accountId: string, applicationId: string): Promise<void> {
    if (!(await this.applications.get(accountId, applicationId))) throw notFound(`Application ${applicationId}`);
  }
}
