import { NOTIFICATIONS_PAGE_MAX, type NotificationList, type NotificationView } from '@app/notifications';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsDate, IsInt, IsOptional, Max, Min } from 'class-validator';

export class NotificationsQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: NOTIFICATIONS_PAGE_MAX, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1)
  @Max(NOTIFICATIONS_PAGE_MAX)
  limit?: number;

  @ApiPropertyOptional({ description: 'true: unread notifications only.' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'unread must be true or false' })
  unread?: boolean;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description:
      'Only notifications created before this time (the `createdAt` of the last one seen: the next page).',
  })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'before must be an ISO date-time' })
  before?: Date;
}

export class NotificationDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({
    example: 'usage.quota_threshold',
    description: 'usage.quota_threshold, usage.overage_threshold, usage.spend_cap_reached, …',
  })
  type!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ description: 'What happened and what to do.' }) body!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Machine-readable facts (ids, thresholds, amounts).',
  })
  data!: Record<string, unknown>;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) readAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;

  static from(view: NotificationView): NotificationDto {
    return {
      id: view.id,
      type: view.type,
      title: view.title,
      body: view.body,
      data: view.data,
      readAt: view.readAt?.toISOString() ?? null,
      createdAt: view.createdAt.toISOString(),
    };
  }
}

export class NotificationListDto {
  @ApiProperty({ type: [NotificationDto], description: 'Newest first.' }) items!: NotificationDto[];
  @ApiProperty({ description: 'All your unread notifications, not only those listed.' }) unreadCount!: number;

  static from(list: NotificationList): NotificationListDto {
    return { items: list.items.map((item) => NotificationDto.from(item)), unreadCount: list.unreadCount };
  }
}
