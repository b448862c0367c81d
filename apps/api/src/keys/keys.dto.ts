import { maskApiKey, type ApiKeyEntity, type CreatedApiKey } from '@app/identity';
import { ApiProperty } from '@nestjs/swagger';

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) applicationId!: string;
  @ApiProperty({ enum: ['secret', 'publishable'] }) kind!: string;
  @ApiProperty({ enum: ['live', 'test'] }) mode!: string;
  @ApiProperty({ example: 'mp_test_…9xYz', description: 'Prefix and last four characters; the full key is never shown again.' })
  display!: string;
  @ApiProperty() prefix!: string;
  @ApiProperty() lastFour!: string;
  @ApiProperty() label!: string;
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty({ type: [String] }) ipAllowlist!: string[];
  @ApiProperty({ type: [String] }) allowedOrigins!: string[];
  @ApiProperty({ enum: ['active', 'expiring', 'expired', 'revoked'] }) status!: string;
  @ApiProperty({ nullable: true, type: String }) expiresAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastUsedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) revokedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) replacedByKeyId!: string | null;
  @ApiProperty() createdAt!: string;

  static from(key: ApiKeyEntity, now: Date = new Date()): ApiKeyDto {
    const expired = key.expiresAt !== null && key.expiresAt.getTime() <= now.getTime();
    const status = key.revokedAt ? 'revoked' : expired ? 'expired' : key.expiresAt ? 'expiring' : 'active';
    return {
      id: key.id,
      applicationId: key.applicationId,
      kind: key.kind,
      mode: key.mode,
      display: maskApiKey(key.prefix, key.lastFour),
      prefix: key.prefix,
      lastFour: key.lastFour,
      label: key.label,
      scopes: key.scopes,
      ipAllowlist: key.ipAllowlist,
      allowedOrigins: key.allowedOrigins,
      status,
      expiresAt: key.expiresAt?.toISOString() ?? null,
      lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
      revokedAt: key.revokedAt?.toISOString() ?? null,
      replacedByKeyId: key.replacedByKeyId,
      createdAt: key.createdAt.toISOString(),
    };
  }
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The full key. Shown once: store it now; Portico keeps only its SHA-256.' })
  secret!: string;

  static fromCreated(created: CreatedApiKey, now?: Date): CreatedApiKeyDto {
    return { ...ApiKeyDto.from(created.key, now), secret: created.secret };
  }
}
