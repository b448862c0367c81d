export * from './metering-test-context';
