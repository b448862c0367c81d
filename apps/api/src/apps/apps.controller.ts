import { ApplicationsService, type AuthenticatedSession } from '@app/identity';
import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentSession } from '../http/current-session.decorator';
import { ApplicationDto, CreateApplicationDto } from './apps.dto';

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
  async create(@CurrentSession() session: AuthenticatedSession, @Body() body: CreateApplicationDto): Promise<ApplicationDto> {
    return ApplicationDto.from(await this.applications.create(session.account.id, body));
  }

  @Get(':appId')
  @ApiOkResponse({ type: ApplicationDto })
  async get(@CurrentSession() session: AuthenticatedSession, @Param('appId', ParseUUIDPipe) appId: string): Promise<ApplicationDto> {
    return ApplicationDto.from(await this.applications.get(session.account.id, appId));
  }
}
