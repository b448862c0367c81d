import type { AccountEntity } from '@app/identity';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { ApplicationDto } from '../apps/apps.dto';
import { CreatedApiKeyDto } from '../keys/keys.dto';

export class SignUpDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email!: string;

  @ApiProperty({ minLength: 10, maxLength: 200, description: 'At least 10 characters.' })
  @IsString()
  @MinLength(10, { message: 'password must be at least 10 characters' })
  @MaxLength(200)
  password!: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'Ada Lovelace' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  displayName?: string;
}

export class LogInDto {
  @ApiProperty({ example: 'ada@example.com' })
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email!: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  password!: string;
}

export class UpdateProfileDto {
  @ApiProperty({
    maxLength: 100,
    example: 'Ada Lovelace',
    description:
      'How you appear on your reviews and to the providers of APIs you subscribe to, and on invoices drafted from now on (issued ones keep the name they were drafted with). Trimmed; 1–100 characters.',
  })
  @IsString({ message: 'displayName must be a string' })
  @MaxLength(100, { message: 'displayName must be at most 100 characters' })
  displayName!: string;
}

export class ChangePasswordDto {
  @ApiPropertyOptional({ description: 'Required when the account has a password.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  currentPassword?: string;

  @ApiProperty({ minLength: 10, maxLength: 200 })
  @IsString()
  @MinLength(10, { message: 'newPassword must be at least 10 characters' })
  @MaxLength(200)
  newPassword!: string;
}

export class AccountDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() email!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ type: [String], example: [] }) roles!: string[];
  @ApiProperty({ nullable: true, type: String }) githubLogin!: string | null;
  @ApiProperty() hasPassword!: boolean;
  @ApiProperty() createdAt!: string;

  static from(account: AccountEntity): AccountDto {
    return {
      id: account.id,
      email: account.email,
      displayName: account.displayName,
      roles: account.roles,
      githubLogin: account.githubLogin,
      hasPassword: account.passwordHash !== null,
      createdAt: account.createdAt.toISOString(),
    };
  }
}

export class SessionDto {
  @ApiProperty({ type: AccountDto }) account!: AccountDto;
  @ApiProperty({ description: 'Echo it in X-CSRF-Token on every POST/PATCH/PUT/DELETE made with the session cookie.' })
  csrfToken!: string;
}

export class SignUpResponseDto extends SessionDto {
  @ApiProperty({ type: ApplicationDto, description: 'The default application created with the account.' })
  application!: ApplicationDto;

  @ApiProperty({ type: CreatedApiKeyDto, description: 'The first mp_test_ key. Its secret is shown only here.' })
  key!: CreatedApiKeyDto;
}
