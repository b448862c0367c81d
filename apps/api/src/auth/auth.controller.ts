import { Public } from '@app/common';
import { AccountsService, IdentityEnv, SessionsService } from '@app/identity';
import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApplicationDto } from '../apps/apps.dto';
import type { SessionRequest } from '../http/current-session.decorator';
import { requestMeta as meta } from '../http/request-meta';
import { clearSessionCookie, setSessionCookie } from '../http/session-cookie';
import { CreatedApiKeyDto } from '../keys/keys.dto';
import { AccountDto, LogInDto, SessionDto, SignUpDto, SignUpResponseDto } from './auth.dto';

@ApiTags('auth')
@Controller('v1/auth')
export class AuthController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly sessions: SessionsService,
    private readonly env: IdentityEnv,
  ) {}

  @Public()
  @Post('signup')
  @ApiOperation({ summary: 'Create an account; answers with a session, a default application and a first test key (shown once).' })
  @ApiCreatedResponse({ type: SignUpResponseDto })
  async signUp(@Body() body: SignUpDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<SignUpResponseDto> {
    const { ip, userAgent } = meta(req);
    const result = await this.accounts.signUp(body, ip);
    const session = await this.sessions.issue(result.account.id, { ip, userAgent });
    setSessionCookie(res, this.env, session);
    return {
      account: AccountDto.from(result.account),
      csrfToken: session.csrfToken,
      application: ApplicationDto.from(result.application),
      key: CreatedApiKeyDto.fromCreated(result.key),
    };
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in with email and password; sets the session cookie.' })
  @ApiOkResponse({ type: SessionDto })
  async logIn(@Body() body: LogInDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<SessionDto> {
    const { ip, userAgent } = meta(req);
    const account = await this.accounts.logIn(body.email, body.password, ip);
    const session = await this.sessions.issue(account.id, { ip, userAgent });
    setSessionCookie(res, this.env, session);
    return { account: AccountDto.from(account), csrfToken: session.csrfToken };
  }

  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'End this session.' })
  @ApiNoContentResponse()
  async logOut(@Req() req: SessionRequest, @Res({ passthrough: true }) res: Response): Promise<void> {
    const session = req.session!;
    await this.sessions.revoke(session.account.id, session.sessionId);
    clearSessionCookie(res, this.env);
  }
}
