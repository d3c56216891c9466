-- 0001: subscribers, lists, subscriptions, events, suppressions.

CREATE TABLE subscribers (
    id          INTEGER PRIMARY KEY,
    email       TEXT NOT NULL,                 -- as the admin gave it
    email_norm  TEXT NOT NULL UNIQUE,          -- lower-cased, used for every comparison
    name        TEXT NOT NULL DEFAULT '',
    attributes  TEXT NOT NULL DEFAULT '{}',      -- JSON object, always written by Go's encoder
    status      TEXT NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'unsubscribed', 'bounced', 'complained', 'blocklisted')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE lists (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);

-- A subscription is consent to one list, with where and when it was given.
CREATE TABLE subscriptions (
    list_id         INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    subscriber_id   INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    status          TEXT NOT NULL DEFAULT 'subscribed' CHECK (status IN ('subscribed', 'unsubscribed')),
    source          TEXT NOT NULL,
    consented_at    TEXT NOT NULL,
    unsubscribed_at TEXT,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (list_id, subscriber_id)
) WITHOUT ROWID;
CREATE INDEX subscriptions_subscriber ON subscriptions (subscriber_id);

-- Events outlive the subscriber they describe (no foreign key), so the audit
-- trail survives a removal. They carry ids, never addresses.
CREATE TABLE events (
    id            INTEGER PRIMARY KEY,
    subscriber_id INTEGER,
    list_id       INTEGER,
    campaign_id   INTEGER,
    type          TEXT NOT NULL,
    old_status    TEXT NOT NULL DEFAULT '',
    new_status    TEXT NOT NULL DEFAULT '',
    actor         TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    redacted      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);
CREATE INDEX events_subscriber ON events (subscriber_id, id);
CREATE INDEX events_campaign ON events (campaign_id, type) WHERE campaign_id IS NOT NULL;

-- Append-only: the only permitted change is redacting the free-text reason
-- when the subscriber's personal data is removed.
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
WHEN NOT (NEW.redacted = 1 AND NEW.reason = '' AND NEW.id = OLD.id
          AND NEW.subscriber_id IS OLD.subscriber_id AND NEW.list_id IS OLD.list_id
          AND NEW.campaign_id IS OLD.campaign_id AND NEW.type = OLD.type
          AND NEW.old_status = OLD.old_status AND NEW.new_status = OLD.new_status
          AND NEW.actor = OLD.actor AND NEW.created_at = OLD.created_at)
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

-- Addresses whose personal data was removed but which must stay suppressed.
-- Only a SHA-256 of the normalised address is kept.
CREATE TABLE suppressions (
    email_hash  TEXT PRIMARY KEY,
    status      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
) WITHOUT ROWID;
