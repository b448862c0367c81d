import { ApplicationsService, type AuthenticatedSession } from '@app/identity';
import { Body, Controller, Delete, Get, HttpCode, Patch, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentSession } from '../http/current-session.decorator';
import { UuidParam } from '../http/uuid-param.pipe';
import { ApplicationDto, CreateApplicationDto, UpdateApplicationDto } from './apps.dto';

/** The signed-in consumer's applications. Another account's application answers 404 like an unknown id. */
@ApiTags('applications')
@Controller('v1/apps')
export class AppsController {
  constructor(private readonly applications: ApplicationsService) {}

  @Get()
  @ApiOperation({ summary: "The signed-in consumer's applications." })
  @ApiOkResponse({ type: [ApplicationDto] })
  async list(@CurrentSession() session: AuthenticatedSession): Promise<ApplicationDto[]> {
    return (await this.applications.list(session.account.id)).map((app) => ApplicationDto.from(app));
  }

  @Post()
  @ApiOperation({ summary: 'Create an application.' })
  @ApiCreatedResponse({ type: ApplicationDto })
  async create(
    @CurrentSession() session: AuthenticatedSession,
    @Body() body: CreateApplicationDto,
  ): Promise<ApplicationDto> {
    return ApplicationDto.from(await this.applications.create(session.account.id, body));
  }

  @Get(':appId')
  @ApiOperation({ summary: 'One application.' })
  @ApiOkResponse({ type: ApplicationDto })
  async get(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('appId') appId: string,
  ): Promise<ApplicationDto> {
    return ApplicationDto.from(await this.applications.get(session.account.id, appId));
  }

  @Patch(':appId')
  @ApiOperation({ summary: 'Rename an application or change its description.' })
  @ApiOkResponse({ type: ApplicationDto })
  async update(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('appId') appId: string,
    @Body() body: UpdateApplicationDto,
  ): Promise<ApplicationDto> {
    return ApplicationDto.from(await this.applications.update(session.account.id, appId, body));
  }

  @Delete(':appId')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Delete an application: all its keys are revoked at once and stop working at the gateway within seconds.',
  })
  @ApiNoContentResponse()
  async delete(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('appId') appId: string,
  ): Promise<void> {
    await this.applications.delete(session.account.id, appId);
  }
}
