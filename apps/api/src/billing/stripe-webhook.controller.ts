import { StripeInboxService } from '@app/billing';
import { Public } from '@app/common';
import { Controller, Headers, HttpCode, Post, Req, type RawBodyRequest } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';

export class WebhookReceivedDto {
  @ApiProperty({ enum: [true] }) received!: true;
}

/**
 * Stripe's webhook endpoint (register `PUBLIC_URL/v1/webhooks/stripe` in the Stripe dashboard with
 * "events on connected accounts" for Connect). No session and no CSRF: Stripe authenticates with
 * the Stripe-Signature header, checked on the raw body before anything is stored.
 */
@ApiTags('webhooks')
@Controller('v1/webhooks')
export class StripeWebhookController {
  constructor(private readonly inbox: StripeInboxService) {}

  @Public()
  @Post('stripe')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Receives a Stripe event: verifies its signature and timestamp (±300 s), stores it once by event id (a redelivery is a no-op) and queues it for the worker.',
  })
  @ApiHeader({ name: 'Stripe-Signature', required: true })
  @ApiOkResponse({ type: WebhookReceivedDto })
  @ApiBadRequestResponse({ description: '`webhook_signature_invalid`: nothing was stored.' })
  async stripe(
    @Req() req: RawBodyRequest<Request>,
    @Headers('stripe-signature') signature: string | undefined,
  ): Promise<WebhookReceivedDto> {
    await this.inbox.receive(req.rawBody, signature);
    return { received: true };
  }
}
