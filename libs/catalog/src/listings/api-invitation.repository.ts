import { isUniqueViolation } from '@app/common';
import { Injectable } from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
import { ApiInvitationEntity } from './api-invitation.entity';
import { ApiListingEntity } from './api-listing.entity';

/** Scopes a statement on api_invitations (api_id = :apiId) to listings of :providerId. */
const OWNED_LISTING =
  'EXISTS (SELECT 1 FROM api_listings l WHERE l.id = :apiId AND l.provider_id = :providerId)';

export type InsertInvitationResult = 'created' | 'duplicate' | 'not_owned';

/**
 * Invitations to private listings (`api_invitations` rows with plan_id NULL; plan invitations
 * belong to the plans code). Owner methods take the provider id and join the listing on it.
 */
@Injectable()
export class ApiInvitationRepository {
  constructor(private readonly dataSource: DataSource) {}

  listOwned(providerId: string, apiId: string): Promise<ApiInvitationEntity[]> {
    return this.dataSource
      .getRepository(ApiInvitationEntity)
      .createQueryBuilder('i')
      .innerJoin(ApiListingEntity, 'l', 'l.id = i.apiId AND l.providerId = :providerId', { providerId })
      .where('i.apiId = :apiId AND i.planId IS NULL', { apiId })
      .orderBy('i.createdAt', 'ASC')
      .addOrderBy('i.email', 'ASC')
      .getMany();
  }

  countOwned(providerId: string, apiId: string): Promise<number> {
    return this.dataSource
      .getRepository(ApiInvitationEntity)
      .createQueryBuilder('i')
      .innerJoin(ApiListingEntity, 'l', 'l.id = i.apiId AND l.providerId = :providerId', { providerId })
      .where('i.apiId = :apiId AND i.planId IS NULL', { apiId })
      .getCount();
  }

  /** Inserts only when the provider owns the listing (one statement: no race with a delete of the listing). */
  async insertOwned(
    providerId: string,
    apiId: string,
    email: string,
  ): Promise<{ result: InsertInvitationResult; invitation?: ApiInvitationEntity }> {
    try {
      const rows = await this.dataSource.query<{ id: string }[]>(
        `INSERT INTO api_invitations (api_id, plan_id, email)
         SELECT l.id, NULL, $3 FROM api_listings l WHERE l.id = $1 AND l.provider_id = $2
         RETURNING id`,
        [apiId, providerId, email],
      );
      if (rows.length === 0) return { result: 'not_owned' };
      const invitation = await this.dataSource
        .getRepository(ApiInvitationEntity)
        .findOneByOrFail({ id: rows[0].id });
      return { result: 'created', invitation };
    } catch (error) {
      if (isUniqueViolation(error, 'uq_api_invitations__api_email')) return { result: 'duplicate' };
      throw error;
    }
  }

  async deleteOwned(providerId: string, apiId: string, email: string): Promise<boolean> {
    const result = await this.dataSource
      .createQueryBuilder()
      .delete()
      .from(ApiInvitationEntity)
      .where('api_id = :apiId AND plan_id IS NULL AND email = :email', { apiId, email })
      .andWhere(OWNED_LISTING, { providerId })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /** Public read: whether this email is invited to the listing. */
  isInvited(apiId: string, email: string): Promise<boolean> {
    return this.dataSource
      .getRepository(ApiInvitationEntity)
      .exists({ where: { apiId, planId: IsNull(), email: email.toLowerCase() } });
  }
}
