export { Components } from "./components.ts";
export type { Startable, Stoppable } from "./startable.ts";
