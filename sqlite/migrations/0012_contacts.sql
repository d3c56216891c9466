-- 0012: what the console's contact pages need at a million subscribers:
-- counts kept up to date by triggers, indexes for search and filters, and
-- the history of imports.

-- Subscribers per status. Counting a million rows takes a few hundred
-- milliseconds; reading five rows does not. Every status has a row, so the
-- triggers only ever UPDATE.
CREATE TABLE subscriber_counts (
    status TEXT PRIMARY KEY,
    n      INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO subscriber_counts (status, n)
SELECT st.status, (SELECT COUNT(*) FROM subscribers s WHERE s.status = st.status)
FROM (SELECT 'active' AS status UNION ALL SELECT 'unsubscribed' UNION ALL SELECT 'bounced'
      UNION ALL SELECT 'complained' UNION ALL SELECT 'blocklisted') st;

CREATE TRIGGER subscriber_counts_insert AFTER INSERT ON subscribers
BEGIN
    UPDATE subscriber_counts SET n = n + 1 WHERE status = NEW.status;
END;
CREATE TRIGGER subscriber_counts_delete AFTER DELETE ON subscribers
BEGIN
    UPDATE subscriber_counts SET n = n - 1 WHERE status = OLD.status;
END;

-- Members of each list: subscribed, unsubscribed, and subscribed and
-- deliverable (active), as FindLists reports them.
CREATE TABLE list_counts (
    list_id      INTEGER PRIMARY KEY,
    subscribed   INTEGER NOT NULL DEFAULT 0,
    unsubscribed INTEGER NOT NULL DEFAULT 0,
    active       INTEGER NOT NULL DEFAULT 0
);
INSERT INTO list_counts (list_id, subscribed, unsubscribed, active)
SELECT l.id,
       (SELECT COUNT(*) FROM subscriptions ss WHERE ss.list_id = l.id AND ss.status = 'subscribed'),
       (SELECT COUNT(*) FROM subscriptions ss WHERE ss.list_id = l.id AND ss.status = 'unsubscribed'),
       (SELECT COUNT(*) FROM subscriptions ss JOIN subscribers s ON s.id = ss.subscriber_id
        WHERE ss.list_id = l.id AND ss.status = 'subscribed' AND s.status = 'active')
FROM lists l;

CREATE TRIGGER list_counts_list_insert AFTER INSERT ON lists
BEGIN
    INSERT INTO list_counts (list_id) VALUES (NEW.id);
END;
CREATE TRIGGER list_counts_list_delete AFTER DELETE ON lists
BEGIN
    DELETE FROM list_counts WHERE list_id = OLD.id;
END;
CREATE TRIGGER list_counts_insert AFTER INSERT ON subscriptions
BEGIN
    UPDATE list_counts SET
        subscribed   = subscribed + (NEW.status = 'subscribed'),
        unsubscribed = unsubscribed + (NEW.status = 'unsubscribed'),
        active       = active + (NEW.status = 'subscribed'
                                 AND (SELECT status FROM subscribers WHERE id = NEW.subscriber_id) = 'active')
    WHERE list_id = NEW.list_id;
END;
-- When a subscriber is deleted their subscriptions go by cascade, after
-- the subscriber row is gone; so the subscriber's own delete takes their
-- "active" off their lists first, and the subscription trigger only counts
-- it while the subscriber is still there.
CREATE TRIGGER list_counts_subscriber_delete BEFORE DELETE ON subscribers
WHEN OLD.status = 'active'
BEGIN
    UPDATE list_counts SET active = active - 1
    WHERE list_id IN (SELECT list_id FROM subscriptions WHERE subscriber_id = OLD.id AND status = 'subscribed');
END;
CREATE TRIGGER list_counts_delete AFTER DELETE ON subscriptions
BEGIN
    UPDATE list_counts SET
        subscribed   = subscribed - (OLD.status = 'subscribed'),
        unsubscribed = unsubscribed - (OLD.status = 'unsubscribed'),
        active       = active - (OLD.status = 'subscribed'
                                 AND COALESCE((SELECT status FROM subscribers WHERE id = OLD.subscriber_id), '') = 'active')
    WHERE list_id = OLD.list_id;
END;
CREATE TRIGGER list_counts_update AFTER UPDATE OF status ON subscriptions
WHEN OLD.status <> NEW.status
BEGIN
    UPDATE list_counts SET
        subscribed   = subscribed + CASE NEW.status WHEN 'subscribed' THEN 1 ELSE -1 END,
        unsubscribed = unsubscribed + CASE NEW.status WHEN 'unsubscribed' THEN 1 ELSE -1 END,
        active       = active + CASE WHEN (SELECT status FROM subscribers WHERE id = NEW.subscriber_id) = 'active'
                                     THEN CASE NEW.status WHEN 'subscribed' THEN 1 ELSE -1 END ELSE 0 END
    WHERE list_id = NEW.list_id;
END;

CREATE TRIGGER subscriber_counts_update AFTER UPDATE OF status ON subscribers
WHEN OLD.status <> NEW.status
BEGIN
    UPDATE subscriber_counts SET n = n - 1 WHERE status = OLD.status;
    UPDATE subscriber_counts SET n = n + 1 WHERE status = NEW.status;
    -- A subscriber who becomes (or stops being) deliverable changes the
    -- active count of every list they are subscribed to.
    UPDATE list_counts SET active = active + CASE WHEN NEW.status = 'active' THEN 1 ELSE -1 END
    WHERE (OLD.status = 'active' OR NEW.status = 'active')
      AND list_id IN (SELECT list_id FROM subscriptions WHERE subscriber_id = NEW.id AND status = 'subscribed');
END;

-- Search by name prefix, case-insensitively (SQLite's lower() folds ASCII
-- letters only: "élodie" finds "Élodie" only as typed). Partial: imports
-- of nameless contacts pay nothing for it.
CREATE INDEX subscribers_name ON subscribers (lower(name)) WHERE name <> '';
-- Suppressed subscribers by status and by address. Partial: the active
-- majority (and so every import of new contacts) pays nothing for them.
CREATE INDEX subscribers_suppressed_status ON subscribers (status, id) WHERE status <> 'active';
CREATE INDEX subscribers_suppressed_email ON subscribers (email_norm) WHERE status <> 'active';

-- Imports run from the console (and, later, any import worth keeping):
-- who ran it, on what, and what came of it.
CREATE TABLE imports (
    id            INTEGER PRIMARY KEY,
    actor         TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    file_size     INTEGER NOT NULL DEFAULT 0,
    list          TEXT NOT NULL,
    mapping       TEXT NOT NULL DEFAULT '',
    dry_run       INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL DEFAULT 'running'
                  CHECK (status IN ('running', 'finished', 'failed', 'interrupted')),
    error         TEXT NOT NULL DEFAULT '',
    result        TEXT NOT NULL DEFAULT '{}',  -- the ImportResult as JSON, without the invalid rows
    rows_read     INTEGER NOT NULL DEFAULT 0,
    added         INTEGER NOT NULL DEFAULT 0,
    invalid_count INTEGER NOT NULL DEFAULT 0,
    started_at    TEXT NOT NULL,
    finished_at   TEXT
);
CREATE INDEX imports_started ON imports (started_at);

-- The invalid rows an import reported (up to its cap), for its result
-- page and their CSV download.
CREATE TABLE import_invalid_rows (
    import_id INTEGER NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    line      INTEGER NOT NULL,
    value     TEXT NOT NULL,
    reason    TEXT NOT NULL,
    PRIMARY KEY (import_id, line)
) WITHOUT ROWID;
