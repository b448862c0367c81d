import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, LessThan, type EntityManager } from 'typeorm';
import { NotificationEntity } from './notification.entity';

export type NewNotification = Pick<NotificationEntity, 'accountId' | 'type' | 'title' | 'body' | 'data'>;

/**
 * The `notifications` table. Every read and the read mark take the account id, so an unscoped
 * query does not type-check.
 */
@Injectable()
export class NotificationRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(manager?: EntityManager) {
    return (manager ?? this.dataSource.manager).getRepository(NotificationEntity);
  }

  /** Inserts inside the caller's transaction when given (the notification commits with its cause). */
  async insert(values: NewNotification, manager?: EntityManager): Promise<NotificationEntity> {
    const repo = this.repo(manager);
    return repo.save(repo.create(values));
  }

  listForAccount(
    accountId: string,
    options: { limit: number; unreadOnly: boolean; before: Date | null },
  ): Promise<NotificationEntity[]> {
    return this.repo().find({
      where: {
        accountId,
        ...(options.unreadOnly ? { readAt: IsNull() } : {}),
        ...(options.before ? { createdAt: LessThan(options.before) } : {}),
      },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: options.limit,
    });
  }

  countUnread(accountId: string): Promise<number> {
    return this.repo().count({ where: { accountId, readAt: IsNull() } });
  }

  findForAccount(accountId: string, id: string): Promise<NotificationEntity | null> {
    return this.repo().findOne({ where: { id, accountId } });
  }

  /** Marks read (first read time kept); false when the account has no such notification. */
  async markRead(accountId: string, id: string, at: Date): Promise<boolean> {
    await this.repo().update({ id, accountId, readAt: IsNull() }, { readAt: at });
    return (await this.findForAccount(accountId, id)) !== null;
  }
}
