export * from './metering-test-context';
// the factory lives in libs/common's testing entry (the gateway's and common's tests use it too)
export { usageEventFactory } from '@app/common/testing';
// for scripts/bench-metering.ts: the pieces of a batch apply, to time them apart
export { aggregateCalls, meteredCalls, type MeteredCall } from '../usage-aggregation';
export { UsageRepository } from '../usage.repository';
