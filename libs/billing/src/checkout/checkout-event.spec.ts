import { completedCheckoutOf } from './checkout-event';

const SUBSCRIPTION_ID = '6f1c1f55-0000-4000-8000-000000000001';

function event(session: Record<string, unknown>): Record<string, unknown> {
  return {
    id: 'evt_1',
    type: 'checkout.session.completed',
    data: {
      object: {
        id: 'cs_test_1',
        object: 'checkout.session',
        mode: 'subscription',
        payment_status: 'paid',
        client_reference_id: SUBSCRIPTION_ID,
        metadata: { subscriptionId: SUBSCRIPTION_ID },
        customer: 'cus_1',
        subscription: 'sub_1',
        ...session,
      },
    },
  };
}

describe('completedCheckoutOf', () => {
  it("reads Portico's subscription, and Stripe's customer and subscription ids, from a paid session", () => {
    expect(completedCheckoutOf(event({}))).toEqual({
      sessionId: 'cs_test_1',
      subscriptionId: SUBSCRIPTION_ID,
      customerId: 'cus_1',
      providerSubscriptionId: 'sub_1',
    });
  });

  it('accepts expanded customer/subscription objects and falls back to metadata.subscriptionId', () => {
    expect(
      completedCheckoutOf(
        event({
          client_reference_id: null,
          customer: { id: 'cus_2' },
          subscription: { id: 'sub_2', object: 'subscription' },
        }),
      ),
    ).toMatchObject({
      subscriptionId: SUBSCRIPTION_ID,
      customerId: 'cus_2',
      providerSubscriptionId: 'sub_2',
    });
  });

  it('waits while a delayed payment method has not paid yet', () => {
    expect(completedCheckoutOf(event({ payment_status: 'unpaid' }))).toBe('awaiting_payment');
  });

  it("ignores sessions that are not Portico's subscription checkouts", () => {
    expect(completedCheckoutOf(event({ mode: 'payment' }))).toBeNull();
    expect(completedCheckoutOf(event({ client_reference_id: 'order-42', metadata: {} }))).toBeNull();
    expect(completedCheckoutOf(event({ object: 'payment_intent' }))).toBeNull();
    expect(completedCheckoutOf({ id: 'evt_2', data: {} })).toBeNull();
  });
});
