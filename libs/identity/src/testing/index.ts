export * from './identity-test-context';
