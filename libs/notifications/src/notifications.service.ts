import { AppError, Clock } from '@app/common';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { NotificationEntity } from './notification.entity';
import { NotificationRepository, type NewNotification } from './notification.repository';

export interface NotificationView {
  id: string;
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  readAt: Date | null;
  createdAt: Date;
}

export interface NotificationList {
  /** Newest first. */
  items: NotificationView[];
  /** All unread notifications of the account, not only those listed. */
  unreadCount: number;
}

export type NotificationInput = NewNotification;

export const NOTIFICATIONS_PAGE_MAX = 100;

function toView(row: NotificationEntity): NotificationView {
  return {
    id: row.id,
    type: row.type,
    title: row.title,
    body: row.body,
    data: row.data,
    readAt: row.readAt,
    createdAt: row.createdAt,
  };
}

/**
 * In-app notifications (README): other libs record them (inside their own transaction when they
 * pass its EntityManager, so a notification exists exactly when its cause committed); an account
 * lists and reads only its own. Another account's notification answers 404 like an unknown id.
 */
@Injectable()
export class NotificationsService {
  constructor(
    private readonly notifications: NotificationRepository,
    private readonly clock: Clock,
  ) {}

  async record(input: NotificationInput, manager?: EntityManager): Promise<NotificationView> {
    return toView(await this.notifications.insert(input, manager));
  }

  async list(
    accountId: string,
    options: { limit?: number; unreadOnly?: boolean; before?: Date | null } = {},
  ): Promise<NotificationList> {
    const limit = Math.min(Math.max(options.limit ?? 50, 1), NOTIFICATIONS_PAGE_MAX);
    const [rows, unreadCount] = await Promise.all([
      this.notifications.listForAccount(accountId, {
        limit,
        unreadOnly: options.unreadOnly ?? false,
        before: options.before ?? null,
      }),
      this.notifications.countUnread(accountId),
    ]);
    return { items: rows.map(toView), unreadCount };
  }

  /** Marks one of the account's notifications read (idempotent: the first read time stays). */
  async markRead(accountId: string, id: string): Promise<NotificationView> {
    if (!(await this.notifications.markRead(accountId, id, this.clock.now()))) throw notificationNotFound();
    const row = await this.notifications.findForAccount(accountId, id);
    if (!row) throw notificationNotFound();
    return toView(row);
  }
}

function notificationNotFound(): AppError {
  return new AppError('not_found', 'Notification not found: you have no notification with this id.');
}
