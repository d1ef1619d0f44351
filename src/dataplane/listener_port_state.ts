/**
 * The state of one data-plane port as the listener manager reports it: bound,
 * or failed with the reason. The runtime shows it in `/config` and `/readyz`.
 * @module
 */
import type { ListenerProtocol } from "../model/config.ts";

/** A bound (or failed) data-plane port. */
export interface ListenerPortState {
  /** The pool address the port binds (`PortConfig.address`); absent: the listen host. */
  address?: string;
  port: number;
  protocol: ListenerProtocol;
  bound: boolean;
  /** Why binding failed, if it did. */
  error?: string;
}
