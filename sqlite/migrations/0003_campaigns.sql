-- 0003: campaigns and their delivery ledger.

CREATE TABLE campaigns (
    id                  INTEGER PRIMARY KEY,
    slug                TEXT NOT NULL,            -- the issue id: front matter id:, else the file name
    list_id             INTEGER NOT NULL REFERENCES lists (id),
    subject             TEXT NOT NULL,
    issue_path          TEXT NOT NULL,
    snapshot            TEXT NOT NULL,            -- the compiled issue, JSON, as sent
    status              TEXT NOT NULL DEFAULT 'sending'
                        CHECK (status IN ('sending', 'paused', 'finished')),
    pause_reason        TEXT NOT NULL DEFAULT '',
    recipients          INTEGER NOT NULL DEFAULT 0,
    possible_duplicates INTEGER NOT NULL DEFAULT 0, -- in flight when a run died, sent again
    send_seconds        REAL NOT NULL DEFAULT 0,    -- time spent sending, over all runs
    created_at          TEXT NOT NULL,
    started_at          TEXT,
    finished_at         TEXT,
    updated_at          TEXT NOT NULL
);
CREATE INDEX campaigns_slug ON campaigns (slug, list_id, id);

-- One row per recipient. status moves queued → sending → sent | deferred |
-- failed (deferred → sending again when due); skipped means the subscriber
-- left or was suppressed before their turn. A row is 'sending' only while
-- its message is on the wire, and each worker has at most one such row, so
-- a crash can duplicate at most one message per connection.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    campaign_id     INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    subscriber_id   INTEGER NOT NULL,
    status          TEXT NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'sending', 'sent', 'deferred', 'failed', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    smtp_code       INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    relay           TEXT NOT NULL DEFAULT '',
    recovered       INTEGER NOT NULL DEFAULT 0,  -- was in flight when a run died
    sent_at         TEXT,
    updated_at      TEXT NOT NULL,
    UNIQUE (campaign_id, subscriber_id)
);
-- No index on status: every state change would move an index entry, and
-- the ledger changes state twice per message. Queued rows of a campaign
-- are read in rowid order (they were inserted together); deferred rows,
-- few and read by due time, get a partial index.
CREATE INDEX deliveries_deferred ON deliveries (campaign_id, next_attempt_at) WHERE status = 'deferred';
-- sent_at is not indexed either: only quota seeding reads it, once per run.
