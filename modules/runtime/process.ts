/**
 * A process to supervise: what the lab supervisor runs and what production's systemd units
 * describe (user, namespace, command line). Plain data so builders stay easy to test.
 */
export interface ProcessSpec {
  /** Unique name, also the log and pid file name, e.g. `patroni-dc1-documents`. */
  name: string;
  /** Network namespace to run in; omitted = host namespace. */
  netns?: string;
  /** Unix user to run as (PostgreSQL refuses root), omitted = root. */
  user?: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Restart policy (the lab supervisor; production: the systemd unit's `Restart=`). Omitted = on-failure with the defaults below. */
  restart?: RestartPolicy;
  /**
   * Run before EVERY start, restarts included, as the service's user in its namespace; a
   * failure is logged and ignored (systemd's `ExecStartPre=-…`). E.g. Patroni's fencing of an
   * orphaned postmaster (modules/services/fromTopology/postgres.ts, ADR 0006).
   */
  execStartPre?: { command: string; args: string[] };
  /** How long a stop waits after SIGTERM before SIGKILL (systemd's `TimeoutStopSec=`). Omitted: the stopper's default. */
  stopTimeoutSec?: number;
}

/**
 * As systemd's `Restart=on-failure`: restart after a non-zero exit or a death by a signal other
 * than SIGHUP/SIGINT/SIGTERM/SIGPIPE (a clean exit 0 is not restarted), after a back-off that
 * doubles from `delaySec` up to `maxDelaySec`; give up when `burst` restarts already happened
 * within `intervalSec` (StartLimitBurst / StartLimitIntervalSec). Whole seconds.
 */
export interface RestartPolicy {
  policy: 'on-failure' | 'no';
  /** First back-off delay, default 1 s (then 2, 4, … s). */
  delaySec?: number;
  /** Back-off cap, default 30 s. */
  maxDelaySec?: number;
  /** Restarts allowed within `intervalSec` before giving up, default 5. */
  burst?: number;
  /** Start-limit window, default 60 s; a child that ran this long also resets the back-off. */
  intervalSec?: number;
}
