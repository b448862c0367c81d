import { randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/**
 * A FAKE of the few Stripe API endpoints Portico calls, for tests only. It listens on an ephemeral
 * 127.0.0.1 port; the real `stripe` SDK is pointed at it with STRIPE_API_URL (see `env`), so the
 * SDK's own encoding, headers, retries and error classes are exercised.
 *
 *   POST /v1/accounts            create a connected account (controller properties, capabilities, metadata)
 *   GET  /v1/accounts/:id        retrieve it (tests change it with `updateAccount` / `completeOnboarding`)
 *   POST /v1/account_links       a single-use onboarding link for an existing account
 *   POST /v1/checkout/sessions   a Checkout Session (`subscription` mode with inline `price_data`,
 *                                destination charges with an application fee); tests pay it with
 *                                `completeCheckout` / `checkoutSessionCompletedEvent`
 *   POST /v1/transfers/:id/reversals  a reversal of part of a destination charge's transfer (the
 *                                charge's `transfer`; refunds with `reverse_transfer` reverse it in proportion)
 *   POST /v1/subscriptions/:id   update a subscription's items (swap a price on an item, add one,
 *                                `deleted` one), `proration_behavior`, `proration_date`,
 *                                `cancel_at_period_end`, metadata; the proration is recorded on the
 *                                subscription (`prorations`), not billed by the fake
 *
 * Like Stripe: v1 bodies are form-encoded with bracket notation (`controller[fees][payer]=application`,
 * `expand[0]=x`; every scalar arrives as a string); a bad `Authorization: Bearer` key is a 401; errors
 * are `{error: {type, code, message, param}}`; a POST repeated with the same Idempotency-Key replays
 * the first successful response (with `Idempotent-Replayed: true`; requests that failed validation
 * are not saved, so they can be retried), and reusing a key with other parameters is a 400
 * `idempotency_error`. Every request is recorded (`requests`) for assertions.
 *
 * To grow it (customers, checkout sessions, subscriptions, invoices, refunds): add a collection to
 * `objects`, a `this.route(method, pattern, handler)` line in the constructor and a handler that
 * validates like Stripe and answers the object; event builders go next to `accountUpdatedEvent`.
 */

export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormBody = Record<string, FormValue>;

export interface FakeStripeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: FormBody;
  headers: IncomingHttpHeaders;
  idempotencyKey: string | undefined;
  /** True when the fake replayed the stored response of an earlier request with the same key. */
  replayed: boolean;
}

export interface StripeErrorBody {
  type: 'invalid_request_error' | 'api_error' | 'idempotency_error' | 'card_error' | 'rate_limit_error';
  code?: string;
  message: string;
  param?: string;
}

export interface FakeStripeEnv {
  PAYMENTS: 'stripe';
  STRIPE_SECRET_KEY: string;
  STRIPE_WEBHOOK_SECRET: string;
  STRIPE_API_URL: string;
}

/** The parts of a Stripe Account object the fake keeps (a subset of the real one, same names). */
export interface FakeAccount {
  id: string;
  object: 'account';
  type: 'express' | 'standard' | 'custom' | 'none';
  created: number;
  country: string;
  default_currency: string;
  email: string | null;
  business_type: string | null;
  charges_enabled: boolean;
  payouts_enabled: boolean;
  details_submitted: boolean;
  capabilities: Record<string, 'active' | 'inactive' | 'pending'>;
  controller: {
    type: 'application' | 'account';
    is_controller: boolean;
    requirement_collection: 'stripe' | 'application';
    fees: { payer: string };
    losses: { payments: string };
    stripe_dashboard: { type: string };
  };
  metadata: Record<string, string>;
  requirements: {
    alternatives: unknown[];
    current_deadline: number | null;
    currently_due: string[];
    disabled_reason: string | null;
    errors: unknown[];
    eventually_due: string[];
    past_due: string[];
    pending_verification: string[];
  };
  tos_acceptance: { date: number | null; ip: string | null; user_agent: string | null };
}

export interface FakeAccountLink {
  object: 'account_link';
  created: number;
  expires_at: number;
  url: string;
  /** Not in Stripe's answer: kept so tests can check where the link sends the browser back. */
  account: string;
  type: string;
  return_url: string;
  refresh_url: string;
}

/** The parts of a Checkout Session the fake keeps (a subset of Stripe's object, same names). */
export interface FakeCheckoutSession {
  id: string;
  object: 'checkout.session';
  created: number;
  expires_at: number;
  livemode: false;
  mode: 'payment' | 'setup' | 'subscription';
  status: 'open' | 'complete' | 'expired';
  payment_status: 'unpaid' | 'paid' | 'no_payment_required';
  url: string | null;
  success_url: string;
  cancel_url: string | null;
  client_reference_id: string | null;
  customer: string | null;
  customer_email: string | null;
  subscription: string | null;
  currency: string;
  amount_subtotal: number;
  amount_total: number;
  metadata: Record<string, string>;
  /** Not in Stripe's answer (line items are a separate list): kept so tests can check them. */
  line_items: {
    quantity: number;
    /** Set for a stored (metered) price referenced by id. */
    price_id?: string;
    price_data: {
      currency: string;
      unit_amount: number;
      recurring: { interval: string } | null;
      product_data: { name: string };
    };
  }[];
  /** Not in Stripe's answer either: what `subscription_data` asked for. */
  subscription_data: {
    application_fee_percent: number | null;
    transfer_data: { destination: string } | null;
    metadata: Record<string, string>;
  } | null;
}

export interface FakeMeter {
  id: string;
  object: 'billing.meter';
  event_name: string;
  display_name: string;
  status: 'active' | 'inactive';
  default_aggregation: { formula: string };
  customer_mapping: { type: 'by_id'; event_payload_key: string };
  value_settings: { event_payload_key: string };
}

export interface FakeMeterEvent {
  object: 'billing.meter_event';
  created: number;
  event_name: string;
  identifier: string;
  livemode: false;
  payload: Record<string, string>;
  timestamp: number;
}

export interface FakePrice {
  id: string;
  object: 'price';
  currency: string;
  unit_amount: number | null;
  unit_amount_decimal: string;
  nickname: string | null;
  recurring: { interval: string; usage_type: 'licensed' | 'metered'; meter: string | null } | null;
  metadata: Record<string, string>;
}

export interface FakeSubscription {
  id: string;
  object: 'subscription';
  customer: string;
  status: 'active' | 'past_due' | 'canceled' | 'unpaid' | 'incomplete_expired';
  created: number;
  cancel_at_period_end: boolean;
  canceled_at: number | null;
  application_fee_percent: number | null;
  transfer_data: { destination: string } | null;
  metadata: Record<string, string>;
  /** Not in Stripe's answer: the item updates the fake recorded with their proration settings (tests assert them). */
  prorations?: { at: number; behavior: string; prorationDate: number | null; items: { id: string; from: string | null; to: string | null }[] }[];
  items: {
    object: 'list';
    data: { id: string; object: 'subscription_item'; price: { id: string }; current_period_start: number; current_period_end: number }[];
  };
}

export interface FakeInvoiceLine {
  id: string;
  object: 'line_item';
  amount: number;
  currency: string;
  description: string;
  period: { start: number; end: number };
  quantity: number;
  pricing: { type: 'price_details'; price_details: { price: string; product: string }; unit_amount_decimal: string };
}

export interface FakeInvoice {
  id: string;
  object: 'invoice';
  number: string;
  customer: string;
  currency: string;
  status: 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';
  billing_reason: string;
  created: number;
  period_start: number;
  period_end: number;
  total: number;
  amount_due: number;
  amount_paid: number;
  amount_remaining: number;
  /** What credit notes issued while it was open took off `amount_due`. */
  pre_payment_credit_notes_amount: number;
  attempt_count: number;
  attempted: boolean;
  parent: { type: 'subscription_details'; subscription_details: { subscription: string; metadata: Record<string, string> } };
  lines: { object: 'list'; data: FakeInvoiceLine[]; has_more: false };
  /** Only with `expand[]=payments`, like Stripe. */
  payments: {
    object: 'list';
    data: { id: string; object: 'invoice_payment'; status: 'paid'; payment: { type: 'payment_intent'; payment_intent: string; charge: string } }[];
  };
}

/** A credit note on an open invoice (`pre_payment`): the only kind the fake issues. */
export interface FakeCreditNote {
  id: string;
  object: 'credit_note';
  amount: number;
  currency: string;
  customer: string;
  invoice: string;
  memo: string | null;
  metadata: Record<string, string>;
  status: 'issued';
  type: 'pre_payment';
  pre_payment_amount: number;
  post_payment_amount: number;
  created: number;
}

export interface FakeRefund {
  id: string;
  object: 'refund';
  amount: number;
  charge: string;
  payment_intent: string;
  currency: string;
  status: 'succeeded';
  metadata: Record<string, string>;
  /** Not in Stripe's answer: kept so tests can check the destination-charge flags. */
  reverse_transfer: boolean;
  refund_application_fee: boolean;
}

export interface FakeTransferReversal {
  id: string;
  object: 'transfer_reversal';
  amount: number;
  currency: string;
  transfer: string;
  metadata: Record<string, string>;
}

export interface FakeTransfer {
  id: string;
  object: 'transfer';
  amount: number;
  /** Reversed so far: by refunds with `reverse_transfer` (in proportion) and by transfer reversals. */
  amount_reversed: number;
  currency: string;
  destination: string;
  source_transaction: string;
  reversals: { object: 'list'; data: FakeTransferReversal[] };
}

/** Money in or out of the platform's balance, with what Stripe took for it. */
export interface FakeBalanceTransaction {
  id: string;
  object: 'balance_transaction';
  amount: number;
  currency: string;
  fee: number;
  net: number;
  type: 'charge' | 'adjustment';
}

/** The fake's processing fee of a charge: Stripe's US card price, 2.9 % + 30 (minor units). */
export function fakeProcessingFee(amount: number): number {
  return amount > 0 ? Math.round(amount * 0.029) + 30 : 0;
}

/** The fake's dispute fee (Stripe's US price: 15.00), kept whatever the outcome. */
export const FAKE_DISPUTE_FEE = 1500;

export interface FakeCharge {
  id: string;
  object: 'charge';
  amount: number;
  amount_refunded: number;
  currency: string;
  payment_intent: string;
  refunded: boolean;
  application_fee_amount: number;
  transfer_data: { destination: string } | null;
  /** The transfer of a destination charge (its amount less the application fee) to the destination. */
  transfer: string | null;
  /** Its balance transaction (the processing fee taken from the platform); the object only with `expand[]=balance_transaction`. */
  balance_transaction: string | FakeBalanceTransaction;
  /** Only with `expand[]=refunds`, like Stripe. */
  refunds: { object: 'list'; data: FakeRefund[] };
}

export interface FakeStripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  type: string;
  account?: string;
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> };
}

/** What a fresh Express account is asked for (Stripe lists them as currently and past due at once). */
export const INITIAL_ACCOUNT_REQUIREMENTS = [
  'business_profile.mcc',
  'business_profile.url',
  'business_type',
  'external_account',
  'representative.first_name',
  'representative.last_name',
  'tos_acceptance.date',
  'tos_acceptance.ip',
];

type Handler = (req: FakeStripeRequest) => { status: number; body: unknown };

interface Route {
  method: string;
  pattern: RegExp;
  handler: (req: FakeStripeRequest, params: string[]) => { status: number; body: unknown };
}

interface StoredResponse {
  fingerprint: string;
  status: number;
  body: unknown;
}

class StripeFakeError extends Error {
  constructor(
    readonly status: number,
    readonly error: StripeErrorBody,
  ) {
    super(error.message);
  }
}

const now = (): number => Math.floor(Date.now() / 1000);
const randomId = (prefix: string, bytes = 12): string =>
  `${prefix}_${randomBytes(bytes).toString('base64url').replace(/[-_]/g, 'x')}`;

/** Parses a form body in Stripe's bracket notation into nested objects and arrays. */
export function parseStripeForm(text: string): FormBody {
  const root: Record<string, FormValue> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const parts = key
      .match(/^[^[\]]+|\[[^[\]]*\]/g)
      ?.map((part) => (part.startsWith('[') ? part.slice(1, -1) : part)) ?? [key];
    let node: Record<string, FormValue> | FormValue[] = root;
    parts.forEach((part, index) => {
      const last = index === parts.length - 1;
      const slot = part === '' && Array.isArray(node) ? String(node.length) : part;
      if (last) {
        (node as Record<string, FormValue>)[slot] = value;
        return;
      }
      const nextIsArray = parts[index + 1] === '' || /^\d+$/.test(parts[index + 1]);
      const container = node as Record<string, FormValue>;
      container[slot] ??= nextIsArray ? [] : {};
      node = container[slot] as Record<string, FormValue> | FormValue[];
    });
  }
  return root;
}

function asObject(value: FormValue | undefined, param: string): Record<string, FormValue> | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' || Array.isArray(value)) {
    throw new StripeFakeError(400, {
      type: 'invalid_request_error',
      code: 'parameter_invalid_string_object',
      message: `Invalid object`,
      param,
    });
  }
  return value;
}

function asString(value: FormValue | undefined, param: string, required = false): string | undefined {
  if (value === undefined || value === '') {
    if (required) throw missing(param);
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new StripeFakeError(400, {
      type: 'invalid_request_error',
      code: 'parameter_invalid_string',
      message: `Invalid string: ${JSON.stringify(value)}`,
      param,
    });
  }
  return value;
}

function invalid(param: string, message: string, code = 'parameter_invalid'): StripeFakeError {
  return new StripeFakeError(400, { type: 'invalid_request_error', code, message, param });
}

function asMetadata(value: FormValue | undefined, param: string): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [key, entry] of Object.entries(asObject(value, param) ?? {})) {
    metadata[key] = asString(entry, `${param}[${key}]`) ?? '';
  }
  return metadata;
}

/** A non-negative integer sent as a form string. */
function asInteger(value: FormValue | undefined, param: string): number | undefined {
  const text = asString(value, param);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw invalid(param, `Invalid integer: ${text}`, 'parameter_invalid_integer');
  return Number(text);
}

function asUrl(value: FormValue | undefined, param: string, required: boolean): string | undefined {
  const url = asString(value, param, required);
  if (url !== undefined && !/^https?:\/\/[^\s]+$/.test(url))
    throw invalid(param, 'Not a valid URL', 'url_invalid');
  return url;
}

function missing(param: string): StripeFakeError {
  return new StripeFakeError(400, {
    type: 'invalid_request_error',
    code: 'parameter_missing',
    message: `Missing required param: ${param}.`,
    param,
  });
}

function noSuch(kind: string, id: string, param: string): StripeFakeError {
  return new StripeFakeError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    message: `No such ${kind}: '${id}'`,
    param,
  });
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableStringify((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export class FakeStripe {
  /** Every request the fake received, oldest first. */
  readonly requests: FakeStripeRequest[] = [];
  /** The fake's objects by id; tests read them, and change them through the helpers below. */
  readonly objects = {
    accounts: new Map<string, FakeAccount>(),
    accountLinks: [] as FakeAccountLink[],
    checkoutSessions: new Map<string, FakeCheckoutSession>(),
    meters: new Map<string, FakeMeter>(),
    prices: new Map<string, FakePrice>(),
    subscriptions: new Map<string, FakeSubscription>(),
    invoices: new Map<string, FakeInvoice>(),
    charges: new Map<string, FakeCharge>(),
    balanceTransactions: new Map<string, FakeBalanceTransaction>(),
    creditNotes: new Map<string, FakeCreditNote>(),
    transfers: new Map<string, FakeTransfer>(),
    meterEvents: new Map<string, FakeMeterEvent>(),
    /** Customers whose card is declined (tests flip it with `declinePayments`). */
    decliningCustomers: new Set<string>(),
  };

  private readonly routes: Route[] = [];
  private readonly idempotent = new Map<string, StoredResponse>();
  private readonly failures: { method: string; path: string; status: number; error: StripeErrorBody }[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly secretKey: string,
    readonly webhookSecret: string,
  ) {
    this.route('POST', /^\/v1\/accounts$/, (req) => this.createAccount(req));
    this.route('GET', /^\/v1\/accounts\/([^/]+)$/, (_req, [id]) => ({
      status: 200,
      body: this.account(id, 'id'),
    }));
    this.route('POST', /^\/v1\/account_links$/, (req) => this.createAccountLink(req));
    this.route('POST', /^\/v1\/checkout\/sessions$/, (req) => this.createCheckoutSession(req));
    this.route('GET', /^\/v1\/billing\/meters$/, () => ({
      status: 200,
      body: { object: 'list', data: [...this.objects.meters.values()], has_more: false, url: '/v1/billing/meters' },
    }));
    this.route('POST', /^\/v1\/billing\/meters$/, (req) => this.createMeter(req));
    this.route('POST', /^\/v1\/billing\/meter_events$/, (req) => this.createMeterEvent(req));
    this.route('POST', /^\/v1\/prices$/, (req) => this.createPrice(req));
    this.route('GET', /^\/v1\/prices\/([^/]+)$/, (_req, [id]) => ({ status: 200, body: this.get(this.objects.prices, id, 'price') }));
    this.route('GET', /^\/v1\/subscriptions\/([^/]+)$/, (_req, [id]) => ({
      status: 200,
      body: this.get(this.objects.subscriptions, id, 'subscription'),
    }));
    this.route('POST', /^\/v1\/subscriptions\/([^/]+)$/, (req, [id]) => ({ status: 200, body: this.updateSubscription(id, req) }));
    this.route('DELETE', /^\/v1\/subscriptions\/([^/]+)$/, (req, [id]) => ({
      status: 200,
      body: this.cancelSubscription(id, asString(req.body.invoice_now, 'invoice_now') === 'true'),
    }));
    this.route('GET', /^\/v1\/invoices\/([^/]+)$/, (req, [id]) => ({ status: 200, body: this.invoiceBody(id, req) }));
    this.route('POST', /^\/v1\/invoices\/([^/]+)\/pay$/, (req, [id]) => this.payInvoice(id, req));
    this.route('GET', /^\/v1\/charges\/([^/]+)$/, (req, [id]) => ({ status: 200, body: this.chargeBody(id, req) }));
    this.route('POST', /^\/v1\/refunds$/, (req) => this.createRefund(req));
    this.route('POST', /^\/v1\/credit_notes$/, (req) => this.createCreditNote(req));
    this.route('POST', /^\/v1\/transfers\/([^/]+)\/reversals$/, (req, [id]) => ({ status: 200, body: this.reverseTransfer(id, req) }));
  }

  static async start(options: { secretKey?: string; webhookSecret?: string } = {}): Promise<FakeStripe> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeStripe(
      server,
      `http://127.0.0.1:${port}`,
      options.secretKey ?? 'sk_test_fake_portico',
      options.webhookSecret ?? 'whsec_fake_portico',
    );
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      fake.handle(req, res).catch((error: unknown) => {
        send(res, 500, { error: { type: 'api_error', message: `fake failure: ${String(error)}` } });
      });
    });
    return fake;
  }

  /** The BillingEnv variables that point Portico's Stripe adapter at this fake. */
  get env(): FakeStripeEnv {
    return {
      PAYMENTS: 'stripe',
      STRIPE_SECRET_KEY: this.secretKey,
      STRIPE_WEBHOOK_SECRET: this.webhookSecret,
      STRIPE_API_URL: this.url,
    };
  }

  requestsTo(method: string, path: string | RegExp): FakeStripeRequest[] {
    return this.requests.filter(
      (r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)),
    );
  }

  /** The next `method path` request answers this Stripe error (once). */
  failNext(method: string, path: string, status: number, error: StripeErrorBody): void {
    this.failures.push({ method, path, status, error });
  }

  // ---- account state, as the provider's progress through onboarding changes it -------------------

  account(id: string, param = 'account'): FakeAccount {
    const account = this.objects.accounts.get(id);
    if (!account) throw noSuch('account', id, param);
    return account;
  }

  updateAccount(id: string, change: (account: FakeAccount) => void): FakeAccount {
    const account = this.account(id);
    change(account);
    return structuredClone(account);
  }

  /** The provider submitted the form and Stripe verified everything: charges and payouts enabled. */
  completeOnboarding(id: string): FakeAccount {
    return this.updateAccount(id, (account) => {
      account.details_submitted = true;
      account.charges_enabled = true;
      account.payouts_enabled = true;
      account.business_type = 'individual';
      for (const capability of Object.keys(account.capabilities)) account.capabilities[capability] = 'active';
      account.tos_acceptance = { date: now(), ip: '203.0.113.7', user_agent: 'fake-browser' };
      account.requirements = {
        ...account.requirements,
        currently_due: [],
        past_due: [],
        eventually_due: [],
        disabled_reason: null,
        pending_verification: [],
      };
    });
  }

  // ---- checkout: the payer's side ---------------------------------------------------------------------

  checkoutSession(id: string): FakeCheckoutSession {
    const session = this.objects.checkoutSessions.get(id);
    if (!session) throw noSuch('checkout session', id, 'session');
    return session;
  }

  /** The payer paid on the hosted page: the session completes with a new customer and subscription. */
  completeCheckout(id: string): FakeCheckoutSession {
    const session = this.checkoutSession(id);
    if (session.status === 'open') {
      session.status = 'complete';
      session.payment_status = 'paid';
      session.url = null;
      session.customer = randomId('cus', 8);
      if (session.mode === 'subscription') session.subscription = this.startSubscription(session).id;
    }
    return structuredClone(session);
  }

  /** A `checkout.session.completed` event for the session, paid first if it is still open. */
  checkoutSessionCompletedEvent(id: string): FakeStripeEvent {
    const session = this.completeCheckout(id);
    const { line_items: _items, subscription_data: _data, ...object } = session;
    return this.event('checkout.session.completed', object);
  }

  // ---- subscriptions, invoices, charges: Stripe Billing as the payer and time move it ----------------

  subscription(id: string): FakeSubscription {
    return this.get(this.objects.subscriptions, id, 'subscription');
  }

  invoice(id: string): FakeInvoice {
    return this.get(this.objects.invoices, id, 'invoice');
  }

  charge(id: string): FakeCharge {
    return this.get(this.objects.charges, id, 'charge');
  }

  transfer(id: string): FakeTransfer {
    return this.get(this.objects.transfers, id, 'transfer');
  }

  /** Invoices of a subscription, oldest first. */
  invoicesOf(subscriptionId: string): FakeInvoice[] {
    return [...this.objects.invoices.values()].filter((i) => i.parent.subscription_details.subscription === subscriptionId);
  }

  /** From now on the customer's card is declined (or accepted again). */
  declinePayments(customerId: string, declined = true): void {
    if (declined) this.objects.decliningCustomers.add(customerId);
    else this.objects.decliningCustomers.delete(customerId);
  }

  /** The payer pays an open invoice on Stripe's hosted page (or Stripe's own retry charges it): what is left is charged now. */
  payNow(invoiceId: string): boolean {
    const invoice = this.invoice(invoiceId);
    if (invoice.status !== 'open') throw new Error(`invoice ${invoiceId} is ${invoice.status}, not open`);
    return this.attemptPayment(invoice);
  }

  /** Σ meter event values of a customer in [from, to) (what the metered price bills). */
  meteredUsage(customerId: string, from: number, to: number): number {
    let total = 0;
    for (const event of this.objects.meterEvents.values())
      if (event.payload.stripe_customer_id === customerId && event.timestamp >= from && event.timestamp < to)
        total += Number(event.payload.value);
    return total;
  }

  /**
   * The subscription's period ends: a renewal invoice bills the next period's base in advance and
   * the ended period's metered usage in arrears, and is charged (paid, or open with a failed
   * attempt when the card is declined). A subscription set to `cancel_at_period_end` is canceled
   * instead (null: no renewal), as Stripe does, with a final invoice of the period's metered usage
   * when there is any.
   */
  renewSubscription(subscriptionId: string): FakeInvoice | null {
    const sub = this.subscription(subscriptionId);
    if (sub.cancel_at_period_end) {
      this.cancelSubscription(subscriptionId, true, sub.items.data[0].current_period_end);
      return null;
    }
    const [base] = sub.items.data;
    const start = base.current_period_end;
    const end = start + 30 * 86_400;
    const lines: FakeInvoiceLine[] = [];
    for (const item of sub.items.data) {
      const price = this.get(this.objects.prices, item.price.id, 'price');
      if (price.recurring?.usage_type === 'metered') {
        const units = this.meteredUsage(sub.customer, item.current_period_start, item.current_period_end);
        lines.push(this.line(price, units, item.current_period_start, item.current_period_end));
      } else lines.push(this.line(price, 1, start, end));
      item.current_period_start = start;
      item.current_period_end = end;
    }
    return this.issueInvoice(sub, lines, 'subscription_cycle');
  }

  /** An `invoice.*` event carrying the invoice as it is now. */
  invoiceEvent(type: string, invoiceId: string): FakeStripeEvent {
    return this.event(type, this.invoiceBody(invoiceId));
  }

  /** A `customer.subscription.*` event carrying the subscription as it is now. */
  subscriptionEvent(type: string, subscriptionId: string): FakeStripeEvent {
    return this.event(type, structuredClone(this.subscription(subscriptionId)) as unknown as Record<string, unknown>);
  }

  chargeRefundedEvent(chargeId: string): FakeStripeEvent {
    return this.event('charge.refunded', this.chargeBody(chargeId) as unknown as Record<string, unknown>);
  }

  /** The payer disputes the charge: a `charge.dispute.created` event. */
  disputeCreatedEvent(chargeId: string, amount?: number): FakeStripeEvent {
    const charge = this.charge(chargeId);
    return this.event('charge.dispute.created', {
      id: randomId('dp', 12),
      object: 'dispute',
      amount: amount ?? charge.amount,
      currency: charge.currency,
      charge: charge.id,
      payment_intent: charge.payment_intent,
      status: 'needs_response',
      reason: 'fraudulent',
      created: now(),
      // the disputed amount withdrawn from the platform's balance, with Stripe's dispute fee
      balance_transactions: [this.balanceTransaction(-(amount ?? charge.amount), charge.currency, FAKE_DISPUTE_FEE, 'adjustment')],
    });
  }

  /** The dispute is decided (`won` | `lost`): a `charge.dispute.closed` event for the dispute of `created`. */
  disputeClosedEvent(created: FakeStripeEvent, status: 'won' | 'lost'): FakeStripeEvent {
    return this.event('charge.dispute.closed', { ...structuredClone(created.data.object), status });
  }

  /** Refunds made in the Stripe dashboard (no Portico metadata). */
  refundInDashboard(chargeId: string, amount: number): FakeRefund {
    return this.refundCharge(this.charge(chargeId), amount, {}, false, false);
  }

  // ---- webhooks --------------------------------------------------------------------------------------

  /** An `account.updated` event (Connect) carrying the account as it is now, or as `snapshot`. */
  accountUpdatedEvent(
    accountId: string,
    snapshot: FakeAccount = structuredClone(this.account(accountId)),
  ): FakeStripeEvent {
    return this.event('account.updated', snapshot as unknown as Record<string, unknown>, {
      account: accountId,
    });
  }

  event(
    type: string,
    object: Record<string, unknown>,
    options: { account?: string; created?: number } = {},
  ): FakeStripeEvent {
    return {
      id: randomId('evt', 14),
      object: 'event',
      api_version: Stripe.API_VERSION,
      created: options.created ?? now(),
      type,
      ...(options.account ? { account: options.account } : {}),
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object },
    };
  }

  /** The body and Stripe-Signature header of a delivery, signed like Stripe does (or with another secret/time). */
  signedDelivery(
    event: FakeStripeEvent,
    options: { timestamp?: number; secret?: string } = {},
  ): { body: string; signature: string } {
    const body = JSON.stringify(event, null, 2);
    const signature = Stripe.webhooks.generateTestHeaderString({
      payload: body,
      secret: options.secret ?? this.webhookSecret,
      ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}),
    });
    return { body, signature };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }

  // ---- HTTP ------------------------------------------------------------------------------------------

  private route(method: string, pattern: RegExp, handler: Route['handler']): void {
    this.routes.push({ method, pattern, handler });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const idempotencyKey = header(req.headers['idempotency-key']);
    const request: FakeStripeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      // the SDK sends a GET's parameters, and a DELETE's, in the query string
      body: parseStripeForm(req.method === 'GET' || (req.method === 'DELETE' && text === '') ? url.search.slice(1) : text),
      headers: req.headers,
      idempotencyKey,
      replayed: false,
    };
    this.requests.push(request);
    const requestId = randomId('req', 8);
    res.setHeader('request-id', requestId);

    if (header(req.headers.authorization) !== `Bearer ${this.secretKey}`) {
      send(res, 401, {
        error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_****' },
      });
      return;
    }

    const fingerprint = `${request.method} ${request.path} ${stableStringify(request.body)}`;
    if (request.method === 'POST' && idempotencyKey) {
      const stored = this.idempotent.get(idempotencyKey);
      if (stored) {
        if (stored.fingerprint !== fingerprint) {
          send(res, 400, {
            error: {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
            },
          });
          return;
        }
        request.replayed = true;
        res.setHeader('idempotent-replayed', 'true');
        send(res, stored.status, stored.body);
        return;
      }
    }

    const { status, body } = this.dispatch(request);
    // Stripe saves a result against the key only once an endpoint began executing: requests that
    // failed validation (every error this fake raises, injected ones included) can be retried
    if (request.method === 'POST' && idempotencyKey && status < 300)
      this.idempotent.set(idempotencyKey, { fingerprint, status, body });
    send(res, status, body);
  }

  private dispatch(request: FakeStripeRequest): { status: number; body: unknown } {
    const failure = this.failures.findIndex((f) => f.method === request.method && f.path === request.path);
    if (failure >= 0) {
      const [{ status, error }] = this.failures.splice(failure, 1);
      return { status, body: { error } };
    }
    for (const route of this.routes) {
      if (route.method !== request.method) continue;
      const match = route.pattern.exec(request.path);
      if (!match) continue;
      try {
        return route.handler(request, match.slice(1).map(decodeURIComponent));
      } catch (error) {
        if (error instanceof StripeFakeError) return { status: error.status, body: { error: error.error } };
        throw error;
      }
    }
    return {
      status: 404,
      body: {
        error: {
          type: 'invalid_request_error',
          message: `Unrecognized request URL (${request.method}: ${request.path}). This Stripe fake (test/fakes/stripe.fake.ts) does not serve it yet.`,
        },
      },
    };
  }

  // ---- endpoints ---------------------------------------------------------------------------------------

  private createAccount: Handler = (req) => {
    const body = req.body;
    const controller = asObject(body.controller, 'controller');
    if (controller && body.type !== undefined) {
      throw new StripeFakeError(400, {
        type: 'invalid_request_error',
        message: 'You cannot specify `type` when using `controller`. Use `controller` properties instead.',
        param: 'type',
      });
    }
    const dashboard =
      asString(
        asObject(controller?.stripe_dashboard, 'controller[stripe_dashboard]')?.type,
        'controller[stripe_dashboard][type]',
      ) ?? 'full';
    const feesPayer =
      asString(asObject(controller?.fees, 'controller[fees]')?.payer, 'controller[fees][payer]') ?? 'account';
    const losses =
      asString(
        asObject(controller?.losses, 'controller[losses]')?.payments,
        'controller[losses][payments]',
      ) ?? 'stripe';
    if (dashboard === 'express' && feesPayer !== 'application') {
      throw new StripeFakeError(400, {
        type: 'invalid_request_error',
        message: 'An Express dashboard requires `controller[fees][payer]=application`.',
        param: 'controller[fees][payer]',
      });
    }
    const capabilities: Record<string, 'inactive'> = {};
    for (const [name, value] of Object.entries(asObject(body.capabilities, 'capabilities') ?? {})) {
      const requested = asString(
        asObject(value, `capabilities[${name}]`)?.requested,
        `capabilities[${name}][requested]`,
      );
      if (requested === 'true') capabilities[name] = 'inactive';
    }
    const metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries(asObject(body.metadata, 'metadata') ?? {})) {
      metadata[key] = asString(value, `metadata[${key}]`) ?? '';
    }
    const account: FakeAccount = {
      id: randomId('acct', 8),
      object: 'account',
      type: dashboard === 'express' ? 'express' : dashboard === 'full' ? 'standard' : 'custom',
      created: now(),
      country: asString(body.country, 'country') ?? 'US',
      default_currency: 'usd',
      email: asString(body.email, 'email') ?? null,
      business_type: null,
      charges_enabled: false,
      payouts_enabled: false,
      details_submitted: false,
      capabilities,
      controller: {
        type: 'application',
        is_controller: true,
        requirement_collection: 'stripe',
        fees: { payer: feesPayer },
        losses: { payments: losses },
        stripe_dashboard: { type: dashboard },
      },
      metadata,
      requirements: {
        alternatives: [],
        current_deadline: null,
        currently_due: [...INITIAL_ACCOUNT_REQUIREMENTS],
        disabled_reason: 'requirements.past_due',
        errors: [],
        eventually_due: [...INITIAL_ACCOUNT_REQUIREMENTS],
        past_due: [...INITIAL_ACCOUNT_REQUIREMENTS],
        pending_verification: [],
      },
      tos_acceptance: { date: null, ip: null, user_agent: null },
    };
    this.objects.accounts.set(account.id, account);
    return { status: 200, body: structuredClone(account) };
  };

  private createCheckoutSession: Handler = (req) => {
    const body = req.body;
    const mode = asString(body.mode, 'mode', true)!;
    if (!['payment', 'setup', 'subscription'].includes(mode))
      throw invalid('mode', 'Invalid mode: must be one of payment, setup, or subscription');
    const successUrl = asUrl(body.success_url, 'success_url', true)!;
    const cancelUrl = asUrl(body.cancel_url, 'cancel_url', false) ?? null;
    const rawItems = body.line_items;
    if (rawItems === undefined && mode !== 'setup') throw missing('line_items');
    if (rawItems !== undefined && !Array.isArray(rawItems))
      throw invalid('line_items', 'Invalid array', 'parameter_invalid_array');
    const lineItems: FakeCheckoutSession['line_items'] = (rawItems ?? []).map((raw, index) => {
      const param = `line_items[${index}]`;
      const item = asObject(raw, param)!;
      if (item.price !== undefined) {
        const price = this.get(this.objects.prices, asString(item.price, `${param}[price]`, true)!, 'price', `${param}[price]`);
        if (price.recurring?.usage_type === 'metered' && item.quantity !== undefined)
          throw invalid(`${param}[quantity]`, 'Quantity should not be specified where usage_type is `metered`.');
        return {
          quantity: 1,
          price_id: price.id,
          price_data: {
            currency: price.currency,
            unit_amount: 0,
            recurring: price.recurring ? { interval: price.recurring.interval } : null,
            product_data: { name: price.nickname ?? 'metered' },
          },
        };
      }
      const priceData = asObject(item.price_data, `${param}[price_data]`);
      if (!priceData) throw missing(`${param}[price]`);
      const quantity = asInteger(item.quantity, `${param}[quantity]`);
      if (quantity === undefined) throw missing(`${param}[quantity]`);
      const currency = asString(priceData.currency, `${param}[price_data][currency]`, true)!;
      if (!/^[a-z]{3}$/.test(currency))
        throw invalid(`${param}[price_data][currency]`, `Invalid currency: ${currency}`);
      const unitAmount = asInteger(priceData.unit_amount, `${param}[price_data][unit_amount]`);
      if (unitAmount === undefined) throw missing(`${param}[price_data][unit_amount]`);
      const product = asObject(priceData.product_data, `${param}[price_data][product_data]`);
      if (!product) throw missing(`${param}[price_data][product]`);
      const name = asString(product.name, `${param}[price_data][product_data][name]`, true)!;
      const recurringData = asObject(priceData.recurring, `${param}[price_data][recurring]`);
      const interval = recurringData
        ? asString(recurringData.interval, `${param}[price_data][recurring][interval]`, true)!
        : null;
      if (interval !== null && !['day', 'week', 'month', 'year'].includes(interval))
        throw invalid(`${param}[price_data][recurring][interval]`, `Invalid interval: ${interval}`);
      return {
        quantity,
        price_data: {
          currency,
          unit_amount: unitAmount,
          recurring: interval ? { interval } : null,
          product_data: { name },
        },
      };
    });
    if (mode === 'subscription' && !lineItems.some((item) => item.price_data.recurring !== null))
      throw invalid(
        'line_items',
        'You must provide at least one recurring price in `subscription` mode when using prices.',
      );
    if (new Set(lineItems.map((item) => item.price_data.currency)).size > 1)
      throw invalid('line_items', 'All prices must be in the same currency.');

    const subscriptionData = asObject(body.subscription_data, 'subscription_data');
    if (subscriptionData && mode !== 'subscription')
      throw invalid('subscription_data', 'You can only pass `subscription_data` in `subscription` mode.');
    let feePercent: number | null = null;
    const feeText = asString(
      subscriptionData?.application_fee_percent,
      'subscription_data[application_fee_percent]',
    );
    if (feeText !== undefined) {
      feePercent = Number(feeText);
      if (!/^\d+(\.\d{1,2})?$/.test(feeText) || feePercent > 100)
        throw invalid(
          'subscription_data[application_fee_percent]',
          'application_fee_percent must be a number between 0 and 100 with at most two decimals.',
        );
    }
    const transfer = asObject(subscriptionData?.transfer_data, 'subscription_data[transfer_data]');
    const destination = transfer
      ? asString(transfer.destination, 'subscription_data[transfer_data][destination]', true)!
      : null;
    if (destination !== null) {
      const account = this.objects.accounts.get(destination);
      if (!account)
        throw new StripeFakeError(400, {
          type: 'invalid_request_error',
          code: 'resource_missing',
          message: `No such destination: '${destination}'`,
          param: 'subscription_data[transfer_data][destination]',
        });
      if (account.capabilities.transfers !== 'active')
        throw invalid(
          'subscription_data[transfer_data][destination]',
          'Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments',
        );
    }
    if (feePercent !== null && destination === null && header(req.headers['stripe-account']) === undefined)
      throw invalid(
        'subscription_data[application_fee_percent]',
        'Can only apply an application_fee_percent when the request is made on behalf of another account (using an OAuth key, the Stripe-Account header, or the destination parameter).',
      );

    const created = now();
    const id = randomId('cs_test', 24);
    const amount = lineItems.reduce((sum, item) => sum + (item.price_id ? 0 : item.quantity * item.price_data.unit_amount), 0);
    const session: FakeCheckoutSession = {
      id,
      object: 'checkout.session',
      created,
      expires_at: created + 24 * 3600,
      livemode: false,
      mode: mode as FakeCheckoutSession['mode'],
      status: 'open',
      payment_status: mode === 'setup' ? 'no_payment_required' : 'unpaid',
      url: `https://checkout.stripe.com/c/pay/${id}#fake`,
      success_url: successUrl,
      cancel_url: cancelUrl,
      client_reference_id: asString(body.client_reference_id, 'client_reference_id') ?? null,
      customer: null,
      customer_email: asString(body.customer_email, 'customer_email') ?? null,
      subscription: null,
      currency: lineItems[0]?.price_data.currency ?? 'usd',
      amount_subtotal: amount,
      amount_total: amount,
      metadata: asMetadata(body.metadata, 'metadata'),
      line_items: lineItems,
      subscription_data: subscriptionData
        ? {
            application_fee_percent: feePercent,
            transfer_data: destination ? { destination } : null,
            metadata: asMetadata(subscriptionData.metadata, 'subscription_data[metadata]'),
          }
        : null,
    };
    this.objects.checkoutSessions.set(id, session);
    const { line_items: _items, subscription_data: _data, ...answer } = structuredClone(session);
    return { status: 200, body: answer };
  };

  private get<T>(map: Map<string, T>, id: string, kind: string, param = 'id'): T {
    const found = map.get(id);
    if (!found) throw noSuch(kind, id, param);
    return found;
  }

  private createMeter: Handler = (req) => {
    const eventName = asString(req.body.event_name, 'event_name', true)!;
    if ([...this.objects.meters.values()].some((m) => m.event_name === eventName && m.status === 'active'))
      throw invalid('event_name', `An active meter with event_name ${eventName} already exists.`);
    const aggregation = asString(asObject(req.body.default_aggregation, 'default_aggregation')?.formula, 'default_aggregation[formula]', true)!;
    const meter: FakeMeter = {
      id: randomId('mtr', 12),
      object: 'billing.meter',
      event_name: eventName,
      display_name: asString(req.body.display_name, 'display_name', true)!,
      status: 'active',
      default_aggregation: { formula: aggregation },
      customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
      value_settings: { event_payload_key: 'value' },
    };
    this.objects.meters.set(meter.id, meter);
    return { status: 200, body: meter };
  };

  private createMeterEvent: Handler = (req) => {
    const eventName = asString(req.body.event_name, 'event_name', true)!;
    if (![...this.objects.meters.values()].some((m) => m.event_name === eventName))
      throw invalid('event_name', `No active meter was found with event_name ${eventName}.`);
    const identifier = asString(req.body.identifier, 'identifier') ?? randomId('mev', 10);
    if (this.objects.meterEvents.has(identifier))
      throw new StripeFakeError(400, {
        type: 'invalid_request_error',
        code: 'meter_event_duplicate',
        message: `An event with identifier ${identifier} already exists.`,
        param: 'identifier',
      });
    const payload = asMetadata(req.body.payload, 'payload');
    if (!payload.stripe_customer_id) throw missing('payload[stripe_customer_id]');
    if (!/^\d+$/.test(payload.value ?? '')) throw invalid('payload[value]', 'value must be a whole number');
    const event: FakeMeterEvent = {
      object: 'billing.meter_event',
      created: now(),
      event_name: eventName,
      identifier,
      livemode: false,
      payload,
      timestamp: asInteger(req.body.timestamp, 'timestamp') ?? now(),
    };
    this.objects.meterEvents.set(identifier, event);
    return { status: 200, body: event };
  };

  private createPrice: Handler = (req) => {
    const currency = asString(req.body.currency, 'currency', true)!;
    const recurring = asObject(req.body.recurring, 'recurring');
    const usageType = asString(recurring?.usage_type, 'recurring[usage_type]') ?? 'licensed';
    const meter = asString(recurring?.meter, 'recurring[meter]');
    if (usageType === 'metered' && !meter) throw missing('recurring[meter]');
    if (meter) this.get(this.objects.meters, meter, 'meter', 'recurring[meter]');
    const decimal = asString(req.body.unit_amount_decimal, 'unit_amount_decimal');
    if (decimal !== undefined && !/^\d+(\.\d{1,12})?$/.test(decimal))
      throw invalid('unit_amount_decimal', 'Invalid decimal: at most 12 decimal places');
    const unitAmount = asInteger(req.body.unit_amount, 'unit_amount');
    const product = asObject(req.body.product_data, 'product_data');
    const price: FakePrice = {
      id: randomId('price', 12),
      object: 'price',
      currency,
      unit_amount: unitAmount ?? null,
      unit_amount_decimal: decimal ?? (unitAmount !== undefined ? String(unitAmount) : '0'),
      nickname: product ? (asString(product.name, 'product_data[name]') ?? null) : null,
      recurring: recurring
        ? { interval: asString(recurring.interval, 'recurring[interval]', true)!, usage_type: usageType as 'licensed' | 'metered', meter: meter ?? null }
        : null,
      metadata: asMetadata(req.body.metadata, 'metadata'),
    };
    this.objects.prices.set(price.id, price);
    return { status: 200, body: price };
  };

  /** Checkout completed: the subscription of its line items, and its first invoice paid at once. */
  private startSubscription(session: FakeCheckoutSession): FakeSubscription {
    const start = now();
    const end = start + 30 * 86_400;
    const items = session.line_items.map((item) => {
      const price: FakePrice = item.price_id
        ? this.get(this.objects.prices, item.price_id, 'price')
        : {
            id: randomId('price', 12),
            object: 'price',
            currency: item.price_data.currency,
            unit_amount: item.price_data.unit_amount,
            unit_amount_decimal: String(item.price_data.unit_amount),
            nickname: item.price_data.product_data.name,
            recurring: item.price_data.recurring ? { interval: item.price_data.recurring.interval, usage_type: 'licensed' as const, meter: null } : null,
            metadata: {},
          };
      this.objects.prices.set(price.id, price);
      return { id: randomId('si', 10), object: 'subscription_item' as const, price: { id: price.id }, current_period_start: start, current_period_end: end };
    });
    const sub: FakeSubscription = {
      id: randomId('sub', 10),
      object: 'subscription',
      customer: session.customer!,
      status: 'active',
      created: start,
      cancel_at_period_end: false,
      canceled_at: null,
      application_fee_percent: session.subscription_data?.application_fee_percent ?? null,
      transfer_data: session.subscription_data?.transfer_data ?? null,
      metadata: session.subscription_data?.metadata ?? {},
      items: { object: 'list', data: items },
    };
    this.objects.subscriptions.set(sub.id, sub);
    const lines = items
      .map((item) => this.get(this.objects.prices, item.price.id, 'price'))
      .filter((price) => price.recurring?.usage_type !== 'metered')
      .map((price) => this.line(price, 1, start, end));
    this.issueInvoice(sub, lines, 'subscription_create');
    return sub;
  }

  private line(price: FakePrice, quantity: number, start: number, end: number): FakeInvoiceLine {
    const amount = Math.round(Number(price.unit_amount_decimal) * quantity);
    return {
      id: randomId('il', 10),
      object: 'line_item',
      amount,
      currency: price.currency,
      description: `${quantity} × ${price.nickname ?? price.id}`,
      period: { start, end },
      quantity,
      pricing: { type: 'price_details', price_details: { price: price.id, product: 'prod_fake' }, unit_amount_decimal: price.unit_amount_decimal },
    };
  }

  private issueInvoice(sub: FakeSubscription, lines: FakeInvoiceLine[], reason: string): FakeInvoice {
    const total = lines.reduce((sum, l) => sum + l.amount, 0);
    const created = now();
    const invoice: FakeInvoice = {
      id: randomId('in', 12),
      object: 'invoice',
      number: `FAKE-${String(this.objects.invoices.size + 1).padStart(4, '0')}`,
      customer: sub.customer,
      currency: lines[0]?.currency ?? 'usd',
      status: 'open',
      billing_reason: reason,
      created,
      period_start: created,
      period_end: created,
      total,
      amount_due: total,
      amount_paid: 0,
      amount_remaining: total,
      pre_payment_credit_notes_amount: 0,
      attempt_count: 0,
      attempted: false,
      parent: { type: 'subscription_details', subscription_details: { subscription: sub.id, metadata: sub.metadata } },
      lines: { object: 'list', data: lines, has_more: false },
      payments: { object: 'list', data: [] },
    };
    this.objects.invoices.set(invoice.id, invoice);
    this.attemptPayment(invoice);
    return invoice;
  }

  /**
   * Charges the invoice's customer what is left of it (its total less pre-payment credit notes):
   * paid with a charge and a transfer to the destination, or a failed attempt.
   */
  private attemptPayment(invoice: FakeInvoice): boolean {
    invoice.attempt_count += 1;
    invoice.attempted = true;
    const amount = invoice.amount_remaining;
    if (amount === 0 || !this.objects.decliningCustomers.has(invoice.customer)) {
      const sub = this.subscription(invoice.parent.subscription_details.subscription);
      const pi = randomId('pi', 12);
      const feePercent = sub.application_fee_percent ?? 0;
      const charge: FakeCharge = {
        id: randomId('ch', 12),
        object: 'charge',
        amount,
        amount_refunded: 0,
        currency: invoice.currency,
        payment_intent: pi,
        refunded: false,
        application_fee_amount: Math.round((amount * feePercent) / 100),
        transfer_data: sub.transfer_data,
        transfer: null,
        balance_transaction: this.balanceTransaction(amount, invoice.currency, fakeProcessingFee(amount), 'charge').id,
        refunds: { object: 'list', data: [] },
      };
      this.objects.charges.set(charge.id, charge);
      if (sub.transfer_data && amount > 0) {
        const transfer: FakeTransfer = {
          id: randomId('tr', 12),
          object: 'transfer',
          amount: charge.amount - charge.application_fee_amount,
          amount_reversed: 0,
          currency: charge.currency,
          destination: sub.transfer_data.destination,
          source_transaction: charge.id,
          reversals: { object: 'list', data: [] },
        };
        this.objects.transfers.set(transfer.id, transfer);
        charge.transfer = transfer.id;
      }
      invoice.status = 'paid';
      invoice.amount_paid += amount;
      invoice.amount_remaining = 0;
      invoice.payments.data.push({ id: randomId('inpay', 10), object: 'invoice_payment', status: 'paid', payment: { type: 'payment_intent', payment_intent: pi, charge: charge.id } });
      if (sub.status === 'past_due') sub.status = 'active';
      return true;
    }
    const sub = this.objects.subscriptions.get(invoice.parent.subscription_details.subscription);
    if (sub && sub.status === 'active') sub.status = 'past_due';
    return false;
  }

  private invoiceBody(id: string, req?: FakeStripeRequest): Omit<FakeInvoice, 'payments'> & { payments?: FakeInvoice['payments'] } {
    const invoice = structuredClone(this.invoice(id));
    const expand = Object.values((req?.body.expand as FormValue[] | Record<string, FormValue> | undefined) ?? {});
    if (!expand.includes('payments')) {
      const { payments: _payments, ...rest } = invoice;
      return rest;
    }
    return invoice;
  }

  private payInvoice(id: string, _req: FakeStripeRequest): { status: number; body: unknown } {
    const invoice = this.invoice(id);
    if (invoice.status === 'paid') throw invalid('invoice', 'Invoice is already paid', 'invoice_already_paid');
    if (invoice.status !== 'open') throw invalid('invoice', `You can only pay an open invoice; this one is ${invoice.status}.`, 'invoice_not_open');
    if (!this.attemptPayment(invoice))
      return {
        status: 402,
        body: { error: { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' } },
      };
    return { status: 200, body: this.invoiceBody(id) };
  }

  /** Subscription update: the item changes of a plan change, validated like Stripe (unknown item or price → 400). */
  private updateSubscription(id: string, req: FakeStripeRequest): FakeSubscription {
    const sub = this.subscription(id);
    if (sub.status === 'canceled') throw invalid('subscription', 'A canceled subscription can only update its cancellation_details and metadata.');
    const behavior = asString(req.body.proration_behavior, 'proration_behavior') ?? 'create_prorations';
    if (!['create_prorations', 'none', 'always_invoice'].includes(behavior))
      throw invalid('proration_behavior', 'Invalid proration_behavior: must be one of create_prorations, none, or always_invoice');
    const prorationDate = asInteger(req.body.proration_date, 'proration_date') ?? null;
    const rawItems = req.body.items;
    const items = rawItems === undefined ? [] : Array.isArray(rawItems) ? rawItems : Object.values(asObject(rawItems, 'items') ?? {});
    const changes: { id: string; from: string | null; to: string | null }[] = [];
    // validate everything before changing anything, like Stripe
    const planned = items.map((raw, index) => {
      const item = asObject(raw, `items[${index}]`) ?? {};
      const itemId = asString(item.id, `items[${index}][id]`);
      const existing = itemId ? sub.items.data.find((i) => i.id === itemId) : undefined;
      if (itemId && !existing) throw noSuch('subscription_item', itemId, `items[${index}][id]`);
      const deleted = asString(item.deleted, `items[${index}][deleted]`) === 'true';
      const price = asString(item.price, `items[${index}][price]`);
      if (price) this.get(this.objects.prices, price, 'price', `items[${index}][price]`);
      if (!existing && !price) throw missing(`items[${index}][price]`);
      return { existing, deleted, price };
    });
    const [base] = sub.items.data;
    for (const { existing, deleted, price } of planned) {
      if (existing && deleted) {
        sub.items.data = sub.items.data.filter((i) => i !== existing);
        changes.push({ id: existing.id, from: existing.price.id, to: null });
      } else if (existing && price) {
        changes.push({ id: existing.id, from: existing.price.id, to: price });
        existing.price = { id: price };
      } else if (price) {
        const added = {
          id: randomId('si', 10),
          object: 'subscription_item' as const,
          price: { id: price },
          current_period_start: base?.current_period_start ?? now(),
          current_period_end: base?.current_period_end ?? now() + 30 * 86_400,
        };
        sub.items.data.push(added);
        changes.push({ id: added.id, from: null, to: price });
      }
    }
    const cancelAtPeriodEnd = asString(req.body.cancel_at_period_end, 'cancel_at_period_end');
    if (cancelAtPeriodEnd !== undefined) sub.cancel_at_period_end = cancelAtPeriodEnd === 'true';
    sub.metadata = { ...sub.metadata, ...asMetadata(req.body.metadata, 'metadata') };
    if (changes.length > 0) (sub.prorations ??= []).push({ at: now(), behavior, prorationDate, items: changes });
    const { prorations: _prorations, ...answer } = structuredClone(sub);
    return answer;
  }

  /**
   * Ends the subscription; `invoiceNow`: a final invoice bills the metered usage of the running
   * period up to `until` (charged like a renewal).
   */
  private cancelSubscription(id: string, invoiceNow = false, until = now()): FakeSubscription {
    const sub = this.subscription(id);
    if (sub.status === 'canceled') throw invalid('subscription', 'This subscription is already canceled.', 'resource_missing');
    if (invoiceNow) {
      const lines: FakeInvoiceLine[] = [];
      for (const item of sub.items.data) {
        const price = this.get(this.objects.prices, item.price.id, 'price');
        if (price.recurring?.usage_type !== 'metered') continue;
        const units = this.meteredUsage(sub.customer, item.current_period_start, until + 1);
        if (units > 0) lines.push(this.line(price, units, item.current_period_start, until));
      }
      if (lines.length > 0) this.issueInvoice(sub, lines, 'subscription_update');
    }
    sub.status = 'canceled';
    sub.canceled_at = now();
    return structuredClone(sub);
  }

  private chargeBody(id: string, req?: FakeStripeRequest): FakeCharge {
    const charge = structuredClone(this.charge(id));
    const expand = Object.values((req?.body.expand as FormValue[] | Record<string, FormValue> | undefined) ?? {});
    if (expand.includes('balance_transaction') && typeof charge.balance_transaction === 'string')
      charge.balance_transaction = structuredClone(this.objects.balanceTransactions.get(charge.balance_transaction)!);
    if (req && !expand.includes('refunds')) return { ...charge, refunds: undefined as unknown as FakeCharge['refunds'] };
    return charge;
  }

  private balanceTransaction(amount: number, currency: string, fee: number, type: FakeBalanceTransaction['type']): FakeBalanceTransaction {
    const bt: FakeBalanceTransaction = { id: randomId('txn', 12), object: 'balance_transaction', amount, currency, fee, net: amount - fee, type };
    this.objects.balanceTransactions.set(bt.id, bt);
    return bt;
  }

  private createRefund: Handler = (req) => {
    const pi = asString(req.body.payment_intent, 'payment_intent');
    const chargeId = asString(req.body.charge, 'charge');
    const charge = [...this.objects.charges.values()].find((c) => (pi ? c.payment_intent === pi : c.id === chargeId));
    if (!charge) throw noSuch(pi ? 'payment_intent' : 'charge', (pi ?? chargeId) ?? '', pi ? 'payment_intent' : 'charge');
    const amount = asInteger(req.body.amount, 'amount') ?? charge.amount - charge.amount_refunded;
    return {
      status: 200,
      body: this.refundCharge(
        charge,
        amount,
        asMetadata(req.body.metadata, 'metadata'),
        asString(req.body.reverse_transfer, 'reverse_transfer') === 'true',
        asString(req.body.refund_application_fee, 'refund_application_fee') === 'true',
      ),
    };
  };

  /**
   * `POST /v1/credit_notes` with `invoice` and `amount`, on an open invoice: like Stripe, it lowers
   * `amount_due` and `amount_remaining` (never below zero) and marks the invoice paid when nothing
   * is left. Credit notes on paid invoices (refund, credit or out-of-band amounts) and `lines` are
   * not faked: Portico refunds paid invoices through `/v1/refunds`.
   */
  private createCreditNote: Handler = (req) => {
    const invoiceId = asString(req.body.invoice, 'invoice');
    if (!invoiceId) throw missing('invoice');
    const invoice = this.get(this.objects.invoices, invoiceId, 'invoice', 'invoice');
    const amount = asInteger(req.body.amount, 'amount');
    if (amount === undefined) throw invalid('amount', 'This fake takes credit notes by amount only: send amount (lines are not faked).');
    if (invoice.status !== 'open')
      throw invalid('invoice', `This fake issues credit notes on open invoices only; ${invoice.id} is ${invoice.status}.`);
    if (amount <= 0 || amount > invoice.amount_remaining)
      throw invalid('amount', `The credit note amount (${amount}) must be positive and at most the invoice's amount remaining (${invoice.amount_remaining}).`, 'amount_too_large');
    const note: FakeCreditNote = {
      id: randomId('cn', 12),
      object: 'credit_note',
      amount,
      currency: invoice.currency,
      customer: invoice.customer,
      invoice: invoice.id,
      memo: asString(req.body.memo, 'memo') ?? null,
      metadata: asMetadata(req.body.metadata, 'metadata'),
      status: 'issued',
      type: 'pre_payment',
      pre_payment_amount: amount,
      post_payment_amount: 0,
      created: now(),
    };
    this.objects.creditNotes.set(note.id, note);
    invoice.amount_due -= amount;
    invoice.amount_remaining -= amount;
    invoice.pre_payment_credit_notes_amount += amount;
    if (invoice.amount_remaining === 0) {
      invoice.status = 'paid';
      const sub = this.objects.subscriptions.get(invoice.parent.subscription_details.subscription);
      if (sub?.status === 'past_due') sub.status = 'active';
    }
    return { status: 200, body: structuredClone(note) };
  };

  private reverseTransfer(id: string, req: FakeStripeRequest): FakeTransferReversal {
    const transfer = this.get(this.objects.transfers, id, 'transfer', 'id');
    const left = transfer.amount - transfer.amount_reversed;
    const amount = asInteger(req.body.amount, 'amount') ?? left;
    if (amount <= 0 || amount > left)
      throw invalid('amount', `Transfer reversal amount (${amount}) is greater than the amount left on the transfer (${left})`, 'amount_too_large');
    const reversal: FakeTransferReversal = {
      id: randomId('trr', 12),
      object: 'transfer_reversal',
      amount,
      currency: transfer.currency,
      transfer: transfer.id,
      metadata: asMetadata(req.body.metadata, 'metadata'),
    };
    transfer.amount_reversed += amount;
    transfer.reversals.data.push(reversal);
    return structuredClone(reversal);
  }

  private refundCharge(charge: FakeCharge, amount: number, metadata: Record<string, string>, reverseTransfer: boolean, refundFee: boolean): FakeRefund {
    if (amount <= 0 || amount > charge.amount - charge.amount_refunded)
      throw invalid('amount', `Refund amount (${amount}) is greater than unrefunded amount on charge (${charge.amount - charge.amount_refunded})`, 'amount_too_large');
    if (refundFee && !reverseTransfer)
      throw invalid('refund_application_fee', 'refund_application_fee needs reverse_transfer for destination charges in this fake.');
    const refund: FakeRefund = {
      id: randomId('re', 12),
      object: 'refund',
      amount,
      charge: charge.id,
      payment_intent: charge.payment_intent,
      currency: charge.currency,
      status: 'succeeded',
      metadata,
      reverse_transfer: reverseTransfer,
      refund_application_fee: refundFee,
    };
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    const transfer = reverseTransfer && charge.transfer ? this.transfer(charge.transfer) : null;
    // Stripe reverses the transfer in proportion to the refunded amount
    if (transfer) transfer.amount_reversed = Math.min(transfer.amount, transfer.amount_reversed + Math.round((amount * transfer.amount) / charge.amount));
    charge.refunds.data.push(refund);
    return structuredClone(refund);
  }

  private createAccountLink: Handler = (req) => {
    const accountId = asString(req.body.account, 'account', true)!;
    this.account(accountId);
    const type = asString(req.body.type, 'type', true)!;
    if (type !== 'account_onboarding' && type !== 'account_update') {
      throw new StripeFakeError(400, {
        type: 'invalid_request_error',
        code: 'parameter_invalid',
        message: `Invalid type: must be one of account_onboarding or account_update`,
        param: 'type',
      });
    }
    const returnUrl = asString(req.body.return_url, 'return_url', true)!;
    const refreshUrl = asString(req.body.refresh_url, 'refresh_url', true)!;
    for (const [param, value] of [
      ['return_url', returnUrl],
      ['refresh_url', refreshUrl],
    ] as const) {
      if (!/^https?:\/\//.test(value)) {
        throw new StripeFakeError(400, {
          type: 'invalid_request_error',
          code: 'url_invalid',
          message: 'Not a valid URL',
          param,
        });
      }
    }
    const created = now();
    const link: FakeAccountLink = {
      object: 'account_link',
      created,
      expires_at: created + 300,
      url: `https://connect.stripe.com/setup/e/${accountId}/${randomBytes(9).toString('base64url')}`,
      account: accountId,
      type,
      return_url: returnUrl,
      refresh_url: refreshUrl,
    };
    this.objects.accountLinks.push(link);
    return {
      status: 200,
      body: { object: link.object, created: link.created, expires_at: link.expires_at, url: link.url },
    };
  };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
