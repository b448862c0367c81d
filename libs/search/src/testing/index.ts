export { describeSearchContract, searchDocument, type ContractOptions, type ContractSubject } from './search-contract';
