export * from './metering-test-context';
// for scripts/bench-metering.ts: the pieces of a batch apply, to time them apart
export { aggregateCalls, meteredCall, type MeteredCall } from '../usage-aggregation';
export { UsageRepository } from '../usage.repository';
