-- 0016: subscribe forms with double opt-in, and a lawful basis per
-- subscription.
--
-- A subscription may now be 'unconfirmed': asked for through a form, not yet
-- confirmed from the email. It is never mailed a campaign (every recipient
-- query asks for 'subscribed'). SQLite cannot change a CHECK constraint in
-- place, so the table is rebuilt; the triggers that name it are dropped and
-- made again around the rebuild, and the list counts stay as they were (the
-- rows do not change).

DROP TRIGGER list_counts_subscriber_delete;
DROP TRIGGER subscriber_counts_update;

CREATE TABLE subscriptions_new (
    list_id         INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    subscriber_id   INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    status          TEXT NOT NULL DEFAULT 'subscribed'
                    CHECK (status IN ('subscribed', 'unsubscribed', 'unconfirmed')),
    source          TEXT NOT NULL,
    consented_at    TEXT NOT NULL,
    unsubscribed_at TEXT,
    updated_at      TEXT NOT NULL,
    -- Why we may mail them: consent, contract (an existing client, soft
    -- opt-in) or legitimate-interest. Rows from before 0016 came from admin
    -- adds and imports, which asserted consent.
    basis           TEXT NOT NULL DEFAULT 'consent'
                    CHECK (basis IN ('consent', 'contract', 'legitimate-interest')),
    -- The consent record of a confirmed form subscription: the wording the
    -- person was shown, and the address (as web.store_ip keeps it) and
    -- user agent they confirmed from. consented_at is the time.
    consent_text    TEXT NOT NULL DEFAULT '',
    consent_ip      TEXT NOT NULL DEFAULT '',
    consent_agent   TEXT NOT NULL DEFAULT '',
    -- A form request waiting for confirmation: when, from which form, with
    -- which wording. Kept apart from the consent record so that a request
    -- for a list the person left does not touch their unsubscribe until they
    -- confirm it.
    requested_at    TEXT,
    request_source  TEXT NOT NULL DEFAULT '',
    request_text    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (list_id, subscriber_id)
) WITHOUT ROWID;

INSERT INTO subscriptions_new (list_id, subscriber_id, status, source, consented_at, unsubscribed_at, updated_at)
SELECT list_id, subscriber_id, status, source, consented_at, unsubscribed_at, updated_at FROM subscriptions;

DROP TABLE subscriptions;
ALTER TABLE subscriptions_new RENAME TO subscriptions;
CREATE INDEX subscriptions_subscriber ON subscriptions (subscriber_id);
-- purge-unconfirmed finds stale requests without reading every row.
CREATE INDEX subscriptions_requested ON subscriptions (requested_at) WHERE requested_at IS NOT NULL;

-- The list counts (0012), now with three statuses: an unconfirmed
-- subscription counts as neither subscribed nor unsubscribed.
CREATE TRIGGER list_counts_insert AFTER INSERT ON subscriptions
BEGIN
    UPDATE list_counts SET
        subscribed   = subscribed + (NEW.status = 'subscribed'),
        unsubscribed = unsubscribed + (NEW.status = 'unsubscribed'),
        active       = active + (NEW.status = 'subscribed'
                                 AND (SELECT status FROM subscribers WHERE id = NEW.subscriber_id) = 'active')
    WHERE list_id = NEW.list_id;
END;
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
        subscribed   = subscribed + (NEW.status = 'subscribed') - (OLD.status = 'subscribed'),
        unsubscribed = unsubscribed + (NEW.status = 'unsubscribed') - (OLD.status = 'unsubscribed'),
        active       = active + CASE WHEN (SELECT status FROM subscribers WHERE id = NEW.subscriber_id) = 'active'
                                     THEN (NEW.status = 'subscribed') - (OLD.status = 'subscribed') ELSE 0 END
    WHERE list_id = NEW.list_id;
END;
CREATE TRIGGER subscriber_counts_update AFTER UPDATE OF status ON subscribers
WHEN OLD.status <> NEW.status
BEGIN
    UPDATE subscriber_counts SET n = n - 1 WHERE status = OLD.status;
    UPDATE subscriber_counts SET n = n + 1 WHERE status = NEW.status;
    UPDATE list_counts SET active = active + CASE WHEN NEW.status = 'active' THEN 1 ELSE -1 END
    WHERE (OLD.status = 'active' OR NEW.status = 'active')
      AND list_id IN (SELECT list_id FROM subscriptions WHERE subscriber_id = NEW.id AND status = 'subscribed');
END;

-- Whether the list's subscribe form asks for confirmation by email.
ALTER TABLE lists ADD COLUMN optin TEXT NOT NULL DEFAULT 'double' CHECK (optin IN ('single', 'double'));
