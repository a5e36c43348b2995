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
}
