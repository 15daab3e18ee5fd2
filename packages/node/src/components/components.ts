import type { Logger } from "../logger/index.ts";
import type { Startable, Stoppable } from "./startable.ts";

/**
 * The node's running components in the order they started. `stopAll` stops them newest first, each
 * once however often it is called, so a component is stopped only after everything started on top
 * of it. A component whose start throws is not stopped; the ones before it are.
 */
export class Components {
  readonly #started: { readonly name: string; readonly component: Stoppable }[] = [];
  readonly #logger: Logger;
  #stopped: Promise<void> | undefined;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Start `component`; it is stopped by `stopAll`. */
  async start<C extends Startable>(name: string, component: C): Promise<C> {
    await component.start();
    return this.started(name, component);
  }

  /** Count in a component its factory opened or started already. */
  started<C extends Stoppable>(name: string, component: C): C {
    this.#started.push({ name, component });
    this.#logger.debug("component started", { component: name });
    return component;
  }

  /**
   * Stop every started component, newest first, and each once: the same promise on every call. A
   * component whose stop throws does not keep the older ones running; the first error is rethrown
   * once all have been stopped.
   */
  stopAll(): Promise<void> {
    this.#stopped ??= this.#stopAll();
    return this.#stopped;
  }

  async #stopAll(): Promise<void> {
    const newestFirst = this.#started.toReversed();
    const errors: unknown[] = [];
    for (const { component } of newestFirst) {
      try {
        component.beforeStop?.();
      } catch (error) {
        errors.push(error);
      }
    }
    for (const { name, component } of newestFirst) {
      try {
        await component.stop();
      } catch (error) {
        errors.push(error);
      }
      this.#logger.debug("component stopped", { component: name });
    }
    if (errors.length > 0) throw errors[0];
  }
}
