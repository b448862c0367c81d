import type { AuthenticatedSession } from '@app/identity';
import { NotificationsService } from '@app/notifications';
import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentSession } from '../http/current-session.decorator';
import { UuidParam } from '../http/uuid-param.pipe';
import { NotificationDto, NotificationListDto, NotificationsQueryDto } from './notifications.dto';

/** The signed-in account's in-app notifications; another account's notification answers 404. */
@ApiTags('notifications')
@Controller('v1/notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get()
  @ApiOperation({
    summary:
      'Your notifications (usage alerts, spend cap reached, …), newest first, with the unread count. Page with ?before=<createdAt of the last one>.',
  })
  @ApiOkResponse({ type: NotificationListDto })
  async list(
    @CurrentSession() session: AuthenticatedSession,
    @Query() query: NotificationsQueryDto,
  ): Promise<NotificationListDto> {
    return NotificationListDto.from(
      await this.notifications.list(session.account.id, {
        limit: query.limit,
        unreadOnly: query.unread ?? false,
        before: query.before ?? null,
      }),
    );
  }

  @Post(':id/read')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mark one of your notifications read (again: no change).' })
  @ApiOkResponse({ type: NotificationDto })
  async markRead(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
  ): Promise<NotificationDto> {
    return NotificationDto.from(await this.notifications.markRead(session.account.id, id));
  }
}
