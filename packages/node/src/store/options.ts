export interface StoreOptions {
  /** Seconds at the head of the calendar whose stored subtree roots are recomputed at every start. */
  startupCheckSeconds: number;
}

export const defaultStoreOptions: StoreOptions = { startupCheckSeconds: 86_400 };
