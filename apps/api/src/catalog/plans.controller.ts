import { PlansService } from '@app/catalog';
import type { AuthenticatedSession } from '@app/identity';
import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentSession } from '../http/current-session.decorator';
import { UuidParam } from '../http/uuid-param.pipe';
import {
  CreatePlanDto,
  InvitePlanDto,
  ListPlansQueryDto,
  PlanChangeDto,
  PlanDto,
  PlanInvitationDto,
  UpdatePlanDto,
} from './plans.dto';

/**
 * Pricing plans of the signed-in provider's APIs. Another provider's API or plan answers 404
 * exactly like an unknown id. The public listing (GET /v1/apis/:slug) shows active public plans.
 */
@ApiTags('provider')
@Controller('v1/provider/apis/:id/plans')
export class PlansController {
  constructor(private readonly plans: PlansService) {}

  @Get()
  @ApiOperation({
    summary: "The API's plans: active and archived (superseded versions with includeSuperseded=true).",
  })
  @ApiOkResponse({ type: [PlanDto] })
  async list(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
    @Query() query: ListPlansQueryDto,
  ): Promise<PlanDto[]> {
    const plans = await this.plans.list(session.account.id, apiId, {
      includeSuperseded: query.includeSuperseded === 'true',
    });
    return plans.map((plan) => PlanDto.from(plan));
  }

  @Post()
  @ApiOperation({
    summary:
      'Create a plan. A paid plan (price > 0 or soft quota) on a published API needs payouts ready (409 payouts_not_ready with onboardingUrl); a draft API may hold paid plans.',
  })
  @ApiCreatedResponse({ type: PlanDto })
  async create(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
    @Body() body: CreatePlanDto,
  ): Promise<PlanDto> {
    return PlanDto.from(await this.plans.create(session.account.id, apiId, body));
  }

  @Get(':planId')
  @ApiOperation({ summary: 'One plan, any status.' })
  @ApiOkResponse({ type: PlanDto })
  async get(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
    @UuidParam('planId') planId: string,
  ): Promise<PlanDto> {
    return PlanDto.from(await this.plans.get(session.account.id, apiId, planId));
  }

  @Patch(':planId')
  @ApiOperation({
    summary:
      'Change a plan. Once the API has been published (or the plan has subscribers), a change to price, currency, quota, mode, overage price, rate limits, endpoints or weights creates a new version (new id, outcome "versioned") and supersedes this one; its subscribers keep it until they switch. Name, description, order, visibility, approval and trial days change in place.',
  })
  @ApiOkResponse({ type: PlanChangeDto })
  async update(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
    @UuidParam('planId') planId: string,
    @Body() body: UpdatePlanDto,
  ): Promise<PlanChangeDto> {
    return PlanChangeDto.from(await this.plans.update(session.account.id, apiId, planId, body));
  }

  @Post(':planId/archive')
  @HttpCode(200)
  @ApiOperation({ summary: 'Close the plan to new subscribers (existing ones keep it). Idempotent.' })
  @ApiOkResponse({ type: PlanDto })
  async archive(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
    @UuidParam('planId') planId: string,
  ): Promise<PlanDto> {
    return PlanDto.from(await this.plans.archive(session.account.id, apiId, planId));
  }

  @Get(':planId/invitations')
  @ApiOperation({ summary: 'Accounts invited to this private plan.' })
  @ApiOkResponse({ type: [PlanInvitationDto] })
  async listInvitations(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
    @UuidParam('planId') planId: string,
  ): Promise<PlanInvitationDto[]> {
    return (await this.plans.listInvitations(session.account.id, apiId, planId)).map((i) =>
      PlanInvitationDto.from(i),
    );
  }

  @Post(':planId/invitations')
  @ApiOperation({
    summary:
      'Invite accounts by email to this private plan (they see it on the listing and may subscribe). Answers every invitation of the plan. New versions of the plan keep its invitations.',
  })
  @ApiCreatedResponse({ type: [PlanInvitationDto] })
  async invite(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
    @UuidParam('planId') planId: string,
    @Body() body: InvitePlanDto,
  ): Promise<PlanInvitationDto[]> {
    return (await this.plans.invite(session.account.id, apiId, planId, body.emails)).map((i) =>
      PlanInvitationDto.from(i),
    );
  }

  @Delete(':planId/invitations/:invitationId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Withdraw an invitation (an existing subscription is not affected).' })
  @ApiNoContentResponse()
  async removeInvitation(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
    @UuidParam('planId') planId: string,
    @UuidParam('invitationId') invitationId: string,
  ): Promise<void> {
    await this.plans.removeInvitation(session.account.id, apiId, planId, invitationId);
  }
}
