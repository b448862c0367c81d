import { AccountsService, type AuthenticatedSession } from '@app/identity';
import { Body, Controller, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentSession } from '../http/current-session.decorator';
import { AccountDto, ChangePasswordDto, SessionDto, UpdateProfileDto } from './auth.dto';

@ApiTags('auth')
@Controller('v1/me')
export class MeController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  @ApiOperation({ summary: 'The signed-in account and the CSRF token of this session.' })
  @ApiOkResponse({ type: SessionDto })
  async me(@CurrentSession() session: AuthenticatedSession): Promise<SessionDto> {
    return { account: AccountDto.from(await this.accounts.get(session.account.id)), csrfToken: session.csrfToken };
  }

  @Patch()
  @ApiOperation({
    summary: 'Change your display name (reviews, what providers see, invoices drafted from now on).',
  })
  @ApiOkResponse({ type: AccountDto })
  async updateProfile(
    @CurrentSession() session: AuthenticatedSession,
    @Body() body: UpdateProfileDto,
  ): Promise<AccountDto> {
    return AccountDto.from(await this.accounts.updateProfile(session.account.id, body));
  }

  @Post('password')
  @HttpCode(204)
  @ApiOperation({ summary: 'Change the password; every other session of the account ends.' })
  @ApiNoContentResponse()
  async changePassword(@CurrentSession() session: AuthenticatedSession, @Body() body: ChangePasswordDto): Promise<void> {
    await this.accounts.changePassword(session.account.id, session.sessionId, body.currentPassword, body.newPassword);
  }
}
