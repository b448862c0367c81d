import { JobHandler, type JobPayloads } from '@app/common';
import { ApiKeysService } from '@app/identity';
import { Injectable, Logger } from '@nestjs/common';

/** Jobs of libs/identity. */
@Injectable()
export class IdentityProcessor {
  private readonly logger = new Logger(IdentityProcessor.name);

  constructor(private readonly keys: ApiKeysService) {}

  /**
   * Latest key uses from a gateway's KeyUsageRecorder. Safe to redeliver or apply out of order:
   * last_used_at only ever moves forward.
   */
  @JobHandler('identity.record-key-usage')
  async recordKeyUsage(payload: JobPayloads['identity.record-key-usage']): Promise<{ moved: number }> {
    const moved = await this.keys.recordUsage(payload.uses);
    this.logger.debug({ uses: payload.uses.length, moved }, 'recorded key usage');
    return { moved };
  }
}
