export {
  type Genesis,
  type GenesisMember,
  genesisHash,
  genesisToJson,
  loadGenesis,
  parseGenesis,
  quorumTrust,
} from "./genesis.ts";
export { type InitOptions, type InitResult, initDataDir } from "./init-data-dir.ts";
export { type MemberProposal, readMemberProposal } from "./member-source.ts";
export { byzantineTolerance, type MergeSettings, majorityOf, mergeGenesis } from "./merge.ts";
