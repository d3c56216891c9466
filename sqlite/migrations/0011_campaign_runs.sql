-- 0011: who runs a campaign, when a scheduled one starts, and what an
-- operator asked of it.

-- A lease names the one process that may run something (a campaign:
-- 'campaign/ID'; the runner of `dispatch serve`: 'runner'). The holder
-- renews heartbeat_at while it runs; a lease whose heartbeat is old, or
-- whose process is gone, may be taken over.
CREATE TABLE leases (
    name         TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    process      TEXT NOT NULL,           -- the command holding it: send or serve
    started_at   TEXT NOT NULL,           -- when the holding process started
    acquired_at  TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '' -- what the run waits for, for watchers
);

-- A scheduled campaign has no deliveries until it starts: its recipients
-- are the list's active members at that time, and cancelling it before
-- then leaves nothing behind.
ALTER TABLE campaigns ADD COLUMN scheduled_at TEXT;
ALTER TABLE campaigns ADD COLUMN schedule_zone TEXT NOT NULL DEFAULT '';
-- hold says why a paused campaign waits for an explicit
-- `dispatch campaigns resume`: 'schedule' (not started yet), 'operator',
-- 'guardrail'; '' means running send again resumes it.
ALTER TABLE campaigns ADD COLUMN hold TEXT NOT NULL DEFAULT '';
-- request is what an operator asked the process running the campaign:
-- 'pause' or 'cancel'; the holder acts on it at its next heartbeat.
ALTER TABLE campaigns ADD COLUMN request TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN cancelled_at TEXT;
-- background campaigns are run by the runner of `dispatch serve`:
-- scheduled, started from the console, or resumed with `campaigns resume`.
ALTER TABLE campaigns ADD COLUMN background INTEGER NOT NULL DEFAULT 0;
