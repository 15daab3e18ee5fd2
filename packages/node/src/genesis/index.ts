export {
  type Genesis,
  type GenesisMember,
  genesisHash,
  genesisToJson,
  loadGenesis,
  type PublicationSchedule,
  parseGenesis,
} from "./genesis.ts";
