import { AppError, Clock, compareCodeUnits, conflict, isUuid, notFound, sha256Hex } from '@app/common';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ApplicationRepository } from '../applications/application.repository';
import { IdentityEnv } from '../identity.env';
import type { ApiKeyEntity, ApiKeyKind, ApiKeyMode } from './api-key.entity';
import { generateApiKey, parseApiKey } from './api-key.format';
import { ApiKeyRepository, type ApiKeyChanges, type KeyUse } from './api-key.repository';
import {
  keyRejection,
  normaliseKeySettings,
  type FieldProblem,
  type KeySettingsInput,
} from './api-key.rules';
import { KeyInvalidationService } from './key-invalidation.service';

export interface CreateApiKeyInput extends KeySettingsInput {
  kind?: ApiKeyKind;
  mode?: ApiKeyMode;
  expiresAt?: Date | null;
}

/** Only the fields present change; `expiresAt: null` removes the expiry. */
export interface UpdateApiKeyInput extends KeySettingsInput {
  expiresAt?: Date | null;
}

export interface RotateApiKeyInput {
  /** How long the old key keeps working; 0 revokes it now. Defaults to KEY_ROTATION_DEFAULT_GRACE_SECONDS. */
  gracePeriodSeconds?: number;
}

/** A key as created: the only moment its full value exists outside the caller's hands. */
export interface CreatedApiKey {
  key: ApiKeyEntity;
  secret: string;
}

export interface RotatedApiKey extends CreatedApiKey {
  /** The key that was rotated, now pointing at its replacement and revoked at the end of the grace period. */
  previous: ApiKeyEntity;
}

/** One use of a key, as seen in the gateway's usage batches (ISO time or Date). */
export interface KeyUseReport {
  keyId: string;
  usedAt: string | Date;
}

/** The longest rotation grace period anyone may pick (and the bound of the env default). */
export const MAX_ROTATION_GRACE_SECONDS = 30 * 24 * 3600;

function invalid(problems: FieldProblem[]): AppError {
  const summary = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return new AppError('validation_failed', `The request is not valid: ${summary}.`, { errors: problems });
}

/**
 * API keys of a consumer's applications: create (the secret is returned once, only its SHA-256 is
 * kept), list, update, rotate with a grace period, revoke. Every change that can alter how the
 * gateway treats a key is broadcast to the key caches after it commits.
 */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: ApiKeyRepository,
    private readonly applications: ApplicationRepository,
    private readonly invalidations: KeyInvalidationService,
    private readonly env: IdentityEnv,
    private readonly clock: Clock,
  ) {}

  async list(accountId: string, applicationId: string): Promise<ApiKeyEntity[]> {
    if (!(await this.applications.get(accountId, applicationId)))
      throw notFound(`Application ${applicationId}`);
    return this.keys.listForApplication(accountId, applicationId);
  }

  async get(accountId: string, keyId: string): Promise<ApiKeyEntity> {
    const key = await this.keys.get(accountId, keyId);
    if (!key) throw notFound(`Key ${keyId}`);
    return key;
  }

  create(accountId: string, applicationId: string, input: CreateApiKeyInput): Promise<CreatedApiKey> {
    return this.dataSource.transaction(async (manager) => {
      // FOR SHARE: a key cannot be added to an application that is being deleted
      if (!(await this.applications.lock(manager, accountId, applicationId, 'share')))
        throw notFound(`Application ${applicationId}`);
      return this.createIn(manager, accountId, applicationId, input);
    });
  }

  /** Creates a key inside the caller's transaction (sign-up creates the first key with the account). */
  async createIn(
    manager: EntityManager,
    accountId: string,
    applicationId: string,
    input: CreateApiKeyInput,
  ): Promise<CreatedApiKey> {
    const kind = input.kind ?? 'secret';
    const mode = input.mode ?? 'test';
    const settings = this.checkSettings(kind, input);
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
      label: settings.label ?? `${mode === 'live' ? 'Live' : 'Test'} ${kind} key`,
      scopes: settings.scopes ?? ['*'],
      ipAllowlist: settings.ipAllowlist ?? [],
      allowedOrigins: settings.allowedOrigins ?? [],
      expiresAt: input.expiresAt ?? null,
    });
    return { key, secret };
  }

  async update(accountId: string, keyId: string, input: UpdateApiKeyInput): Promise<ApiKeyEntity> {
    const updated = await this.dataSource.transaction(async (manager) => {
      const key = await this.requireUsable(manager, accountId, keyId, 'changed');
      const settings = this.checkSettings(key.kind, input);
      const changes: ApiKeyChanges = { ...settings };
      if (input.expiresAt !== undefined) changes.expiresAt = input.expiresAt;
      if (Object.keys(changes).length === 0) return null;
      await this.keys.update(manager, accountId, keyId, changes);
      return key.keyHash;
    });
    if (updated !== null) await this.invalidations.publish([updated]);
    return this.get(accountId, keyId);
  }

  /**
   * Issues a new key with the same kind, mode, label, scopes and allowlists (no expiry), points the
   * old key at it and schedules the old key's revocation at now + grace (0: revoked now).
   */
  async rotate(accountId: string, keyId: string, input: RotateApiKeyInput = {}): Promise<RotatedApiKey> {
    const grace = input.gracePeriodSeconds ?? this.env.KEY_ROTATION_DEFAULT_GRACE_SECONDS;
    if (!Number.isInteger(grace) || grace < 0 || grace > MAX_ROTATION_GRACE_SECONDS) {
      throw invalid([
        {
          field: 'gracePeriodSeconds',
          message: `must be an integer from 0 to ${MAX_ROTATION_GRACE_SECONDS} (30 days)`,
        },
      ]);
    }
    const result = await this.dataSource.transaction(async (manager) => {
      const old = await this.requireUsable(manager, accountId, keyId, 'rotated');
      const created = await this.createIn(manager, accountId, old.applicationId, {
        kind: old.kind,
        mode: old.mode,
        label: old.label,
        scopes: old.scopes,
        ipAllowlist: old.ipAllowlist,
        allowedOrigins: old.allowedOrigins,
        expiresAt: null,
      });
      const revokedAt = new Date(this.clock.now().getTime() + grace * 1000);
      await this.keys.update(manager, accountId, old.id, { revokedAt, replacedByKeyId: created.key.id });
      return { ...created, oldHash: old.keyHash };
    });
    await this.invalidations.publish([result.oldHash]);
    return { key: result.key, secret: result.secret, previous: await this.get(accountId, keyId) };
  }

  /** Revokes now. Revoking a revoked key is a no-op; revoking a key in its rotation grace ends the grace. */
  async revoke(accountId: string, keyId: string): Promise<ApiKeyEntity> {
    const now = this.clock.now();
    const revokedHash = await this.dataSource.transaction(async (manager) => {
      const key = await this.keys.lockForUpdate(manager, accountId, keyId);
      if (!key) throw notFound(`Key ${keyId}`);
      if (key.revokedAt !== null && key.revokedAt.getTime() <= now.getTime()) return null;
      await this.keys.update(manager, accountId, keyId, { revokedAt: now });
      return key.keyHash;
    });
    if (revokedHash !== null) await this.invalidations.publish([revokedHash]);
    return this.get(accountId, keyId);
  }

  /**
   * System write (the worker's metering processor, from each usage batch, inside the batch's
   * transaction when `manager` is given): applies last-use times, keeping the latest time per key
   * and dropping malformed entries, in one statement that only ever moves last_used_at forward —
   * replays and out-of-order batches are harmless. Unknown key ids are ignored. Answers how many
   * keys moved.
   */
  async recordUsage(uses: readonly KeyUseReport[], manager?: EntityManager): Promise<number> {
    const latest = new Map<string, number>();
    for (const use of uses) {
      const at = typeof use.usedAt === 'string' ? Date.parse(use.usedAt) : use.usedAt.getTime();
      if (!isUuid(use.keyId) || Number.isNaN(at)) continue;
      const id = use.keyId.toLowerCase();
      if (at > (latest.get(id) ?? -Infinity)) latest.set(id, at);
    }
    const rows: KeyUse[] = [...latest]
      .sort(([a], [b]) => compareCodeUnits(a, b))
      .map(([keyId, at]) => ({ keyId, usedAt: new Date(at) }));
    return this.keys.recordUsage(rows, manager);
  }

  /** Locks a key that can still change: not revoked and not already replaced by a rotation. */
  private async requireUsable(
    manager: EntityManager,
    accountId: string,
    keyId: string,
    verb: 'changed' | 'rotated',
  ): Promise<ApiKeyEntity> {
    const key = await this.keys.lockForUpdate(manager, accountId, keyId);
    if (!key) throw notFound(`Key ${keyId}`);
    if (keyRejection(key, this.clock.now()) === 'key_revoked') {
      throw conflict(`Key ${keyId} is revoked and cannot be ${verb}. Create a new key instead.`);
    }
    if (key.replacedByKeyId !== null) {
      throw conflict(
        `Key ${keyId} was rotated and replaced by key ${key.replacedByKeyId}, which is the one to ${verb === 'rotated' ? 'rotate' : 'change'}.`,
        {
          replacedByKeyId: key.replacedByKeyId,
        },
      );
    }
    return key;
  }

  private checkSettings(kind: ApiKeyKind, input: CreateApiKeyInput | UpdateApiKeyInput): KeySettingsInput {
    const result = normaliseKeySettings(kind, input);
    const problems = result.ok ? [] : [...result.problems];
    if (input.expiresAt && input.expiresAt.getTime() <= this.clock.now().getTime()) {
      problems.push({ field: 'expiresAt', message: 'must be in the future' });
    }
    if (problems.length > 0 || !result.ok) throw invalid(problems);
    return result.value;
  }
}
