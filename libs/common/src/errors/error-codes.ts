/**
 * Every machine-readable error code Portico answers with, its HTTP status and title.
 * The comment on each line says where it is raised. Codes are part of the public contract
 * (DESIGN §4): never rename one, add a new one instead.
 */
export const ERROR_CODES = {
  // raised by the api's validation pipe and by any service rejecting a well-typed but invalid value
  validation_failed: { status: 400, title: 'Validation failed' },
  // raised by POST /v1/webhooks/stripe (libs/billing PaymentsPort.verifyWebhook) when the Stripe-Signature header is missing, wrong or outside ±300 s
  webhook_signature_invalid: { status: 400, title: 'Webhook signature invalid' },
  // raised by the api's JSON body parser when the body is not JSON
  malformed_body: { status: 400, title: 'Malformed request body' },
  // raised by the gateway's path normalisation (libs/gateway routing/path.ts) when a request target is malformed or ambiguous (backslashes, encoded slashes, control characters, bad or double percent-encoding, absolute-form, overlong); dot segments are normalised instead
  invalid_path: { status: 400, title: 'Invalid request path' },
  // raised by the session guard when no valid session cookie is present
  unauthenticated: { status: 401, title: 'Authentication required' },
  // raised by login when the email/password pair does not match
  invalid_credentials: { status: 401, title: 'Invalid credentials' },
  // raised by the gateway when the key is malformed, fails its checksum or is unknown
  invalid_api_key: { status: 401, title: 'Invalid API key' },
  // raised by the gateway when the key has been revoked (or its rotation grace ended)
  key_revoked: { status: 401, title: 'API key revoked' },
  // raised by the gateway when the key is past its expiry
  key_expired: { status: 401, title: 'API key expired' },
  // raised by guards and services when the caller may not do this
  forbidden: { status: 403, title: 'Forbidden' },
  // raised by the session guard's CSRF check on cookie-authenticated mutations
  csrf_failed: { status: 403, title: 'CSRF check failed' },
  // raised by the gateway when a key's scopes do not cover the API
  scope_denied: { status: 403, title: 'Scope denied' },
  // raised by the gateway when the caller's address is not on the key's IP allowlist
  ip_not_allowed: { status: 403, title: 'IP address not allowed' },
  // raised by the gateway when a publishable key (or a key with allowed origins) is used from another origin
  origin_not_allowed: { status: 403, title: 'Origin not allowed' },
  // raised by the gateway when the consumer has no subscription to the API
  not_subscribed: { status: 403, title: 'Not subscribed' },
  // raised by the gateway when the subscription exists but gives no access yet (pending approval, awaiting payment)
  subscription_inactive: { status: 403, title: 'Subscription inactive' },
  // raised by the gateway when the plan does not include the endpoint
  endpoint_not_in_plan: { status: 403, title: 'Endpoint not in plan' },
  // raised by the api's GitHub callback when the state parameter does not match the state cookie (login CSRF)
  github_state_invalid: { status: 403, title: 'GitHub sign-in state invalid' },
  // raised by the api's GitHub callback when the user declined the authorization on GitHub
  github_access_denied: { status: 403, title: 'GitHub authorization denied' },
  // raised by GitHub login (libs/identity) when GitHub reports no verified email for the user
  github_email_unverified: { status: 403, title: 'No verified GitHub email' },
  // raised by repositories/services when a record does not exist or is not the caller's
  not_found: { status: 404, title: 'Not found' },
  // raised by the gateway when no API has this slug
  api_not_found: { status: 404, title: 'API not found' },
  // raised by routing for unknown routes
  route_not_found: { status: 404, title: 'Route not found' },
  // raised by GET /v1/auth/github (and its callback) when GITHUB_CLIENT_ID/GITHUB_CLIENT_SECRET are not set
  github_login_disabled: { status: 404, title: 'GitHub sign-in disabled' },
  // raised for a method the route does not allow (gateway: TRACE)
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  // raised when a unique business key is already taken (email, slug)
  conflict: { status: 409, title: 'Conflict' },
  // raised by PlansService (libs/catalog) when a paid plan would become subscribable on a published listing (create, new version, publishing the listing) before the provider's payoutStatus is ready; carries onboardingUrl
  payouts_not_ready: { status: 409, title: 'Payouts not ready' },
  // raised by libs/billing InvoicesService.issueCreditNoteIn (credit notes and refunds with PAYMENTS=local) when the provider's payable balance cannot absorb the reversed share (it was paid out): refused rather than leaving a silent negative balance; carries providerBalanceMinor
  provider_balance_insufficient: { status: 409, title: 'Provider balance insufficient' },
  // raised by IdempotencyService (libs/common) when an Idempotency-Key is reused with a different request, or while its first request still runs
  idempotency_conflict: { status: 409, title: 'Idempotency key reused' },
  // raised by the body parser and the gateway when the body is over the limit, and by OpenAPI imports past their memory or time limit (libs/catalog ImportProcesses; carries limitMegabytes or limitSeconds)
  payload_too_large: { status: 413, title: 'Payload too large' },
  // raised when the Content-Type is not one the route accepts
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  // raised by the gateway limiter and by the api's login/signup throttle
  rate_limit_exceeded: { status: 429, title: 'Rate limit exceeded' },
  // raised by the gateway when the period quota of a hard-quota plan is used up
  quota_exceeded: { status: 429, title: 'Quota exceeded' },
  // raised by the gateway for live calls once the worker found the subscription's overage spend cap reached this period (libs/subscriptions UsageControlsService); carries capAmountMinor, currency, periodEnd, manageUrl
  spend_cap_reached: { status: 429, title: 'Spend cap reached' },
  // raised by the exception filters for anything unexpected; never carries internals
  internal_error: { status: 500, title: 'Internal error' },
  // raised by the gateway on connection refused/reset or a bad upstream response
  upstream_unavailable: { status: 502, title: 'Upstream unavailable' },
  // raised by the gateway when the upstream answers something unusable
  upstream_error: { status: 502, title: 'Upstream error' },
  // raised by libs/billing's Stripe adapter when Stripe refuses or fails a call (payout onboarding, subscription Checkout Sessions, later charges)
  payments_provider_error: { status: 502, title: 'Payments provider error' },
  // raised by the api's GitHub callback when GitHub's token or user API fails or answers something unusable
  github_login_failed: { status: 502, title: 'GitHub sign-in failed' },
  // raised by /ready and by fail-closed paths when a dependency is down
  service_unavailable: { status: 503, title: 'Service unavailable' },
  // raised by the gateway when the upstream does not answer in time
  upstream_timeout: { status: 504, title: 'Upstream timeout' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const ERROR_TYPE_BASE = 'https://portico.dev/errors/';
