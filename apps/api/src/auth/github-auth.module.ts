import { githubLoginEnabled, GithubLoginService, IdentityEnv, IdentityModule } from '@app/identity';
import { Module } from '@nestjs/common';
import { GithubAuthController } from './github-auth.controller';
import { GITHUB_STRATEGY, GithubOAuthService } from './github-oauth.service';
import { GithubStateCookieStore } from './github-state-cookie';
import { GithubStrategy } from './github.strategy';

/** "Sign in with GitHub". The strategy exists only when GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET are set. */
@Module({
  imports: [IdentityModule],
  controllers: [GithubAuthController],
  providers: [
    {
      provide: GITHUB_STRATEGY,
      inject: [IdentityEnv, GithubLoginService],
      useFactory: (env: IdentityEnv, githubLogin: GithubLoginService): GithubStrategy | null =>
        githubLoginEnabled(env)
          ? new GithubStrategy(env, githubLogin, new GithubStateCookieStore(env))
          : null,
    },
    GithubOAuthService,
  ],
})
export class GithubAuthModule {}
