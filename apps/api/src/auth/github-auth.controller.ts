import { Public } from '@app/common';
import { IdentityEnv, SessionsService } from '@app/identity';
import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiFoundResponse, ApiNotFoundResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { requestMeta } from '../http/request-meta';
import { setSessionCookie } from '../http/session-cookie';
import { GithubOAuthService } from './github-oauth.service';
import { publicUrl } from './github.strategy';

/** "Sign in with GitHub": both routes are browser navigations and answer with redirects. */
@ApiTags('auth')
@Controller('v1/auth/github')
export class GithubAuthController {
  constructor(
    private readonly github: GithubOAuthService,
    private readonly sessions: SessionsService,
    private readonly env: IdentityEnv,
  ) {}

  @Public()
  @Get()
  @ApiOperation({
    summary:
      'Start "Sign in with GitHub": redirects to GitHub with a state bound to a short-lived httpOnly cookie.',
  })
  @ApiFoundResponse({ description: "Redirect to GitHub's authorize page." })
  @ApiNotFoundResponse({
    description: '`github_login_disabled`: GITHUB_CLIENT_ID/GITHUB_CLIENT_SECRET are not set.',
  })
  async start(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.github.redirectToGithub(req, res);
  }

  @Public()
  @Get('callback')
  @ApiOperation({
    summary:
      'Where GitHub sends the browser back. Signs in (session cookie) and redirects to PUBLIC_URL/, or to PUBLIC_URL/login?error=<code>.',
    description:
      'Error codes: `github_state_invalid` (state missing or not matching the cookie), `github_access_denied` (declined on GitHub), ' +
      '`github_email_unverified` (no verified GitHub email), `conflict` (the matching account is linked to another GitHub user), ' +
      '`github_login_failed` (GitHub did not answer as expected), `github_login_disabled`.',
  })
  @ApiQuery({ name: 'code', required: false })
  @ApiQuery({ name: 'state', required: false })
  @ApiQuery({ name: 'error', required: false })
  @ApiFoundResponse({ description: 'Redirect to the web UI.' })
  async callback(@Req() req: Request, @Res() res: Response): Promise<void> {
    const outcome = await this.github.handleCallback(req, res);
    if (!outcome.ok) {
      res.redirect(302, publicUrl(this.env, `/login?error=${encodeURIComponent(outcome.code)}`));
      return;
    }
    const session = await this.sessions.issue(outcome.account.id, requestMeta(req));
    setSessionCookie(res, this.env, session);
    res.redirect(302, publicUrl(this.env, '/'));
  }
}
