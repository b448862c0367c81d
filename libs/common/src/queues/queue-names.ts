/** Every BullMQ queue of Portico. Processors for all of them run in apps/worker. */
export enum QueueName {
  Metering = 'metering',
  Billing = 'billing',
  WebhooksOut = 'webhooks-out',
  SearchIndex = 'search-index',
  Email = 'email',
  UpstreamHealth = 'upstream-health',
}
