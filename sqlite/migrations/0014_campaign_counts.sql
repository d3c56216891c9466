-- 0014: per-campaign counts kept up to date by triggers, so that a
-- campaign's progress and report read a few rows instead of every
-- delivery (a campaign of 1,000,000 deliveries took about a second to
-- count). The ledger changes a delivery's status twice per message; each
-- trigger below is one small indexed write, against the fsync of the
-- ledger's commit.

-- One row per campaign with deliveries: how many are in each status, and
-- the times of the first and last delivery.
CREATE TABLE campaign_counts (
    campaign_id   INTEGER PRIMARY KEY,
    queued        INTEGER NOT NULL DEFAULT 0,
    sending       INTEGER NOT NULL DEFAULT 0,
    sent          INTEGER NOT NULL DEFAULT 0,
    deferred      INTEGER NOT NULL DEFAULT 0,
    failed        INTEGER NOT NULL DEFAULT 0,
    skipped       INTEGER NOT NULL DEFAULT 0,
    first_sent_at TEXT,
    last_sent_at  TEXT
);

-- Deliveries settled per minute (UTC, 'YYYY-MM-DDTHH:MM'), for the
-- report's timeline. deferred counts replies that deferred a message (a
-- 4xx, a timeout), not postponements while the relay was down.
CREATE TABLE campaign_minutes (
    campaign_id INTEGER NOT NULL,
    minute      TEXT NOT NULL,
    sent        INTEGER NOT NULL DEFAULT 0,
    deferred    INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, minute)
) WITHOUT ROWID;

-- Per recipient domain: deliveries sent and failed now, deferrals so far,
-- and hard and soft bounces attributed to the campaign.
CREATE TABLE campaign_domains (
    campaign_id INTEGER NOT NULL,
    domain      TEXT NOT NULL,
    sent        INTEGER NOT NULL DEFAULT 0,
    deferred    INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    bounced     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, domain)
) WITHOUT ROWID;

-- The report groups failures by reply; failed deliveries are few, and
-- this partial index finds them without reading the others.
CREATE INDEX deliveries_failed ON deliveries (campaign_id) WHERE status = 'failed';

CREATE TRIGGER campaign_counts_insert AFTER INSERT ON deliveries BEGIN
    INSERT INTO campaign_counts (campaign_id, queued, sending, sent, deferred, failed, skipped)
    VALUES (NEW.campaign_id, NEW.status = 'queued', NEW.status = 'sending', NEW.status = 'sent',
            NEW.status = 'deferred', NEW.status = 'failed', NEW.status = 'skipped')
    ON CONFLICT (campaign_id) DO UPDATE SET
        queued = queued + excluded.queued, sending = sending + excluded.sending, sent = sent + excluded.sent,
        deferred = deferred + excluded.deferred, failed = failed + excluded.failed, skipped = skipped + excluded.skipped;
END;

CREATE TRIGGER campaign_counts_delete AFTER DELETE ON deliveries BEGIN
    UPDATE campaign_counts SET
        queued = queued - (OLD.status = 'queued'), sending = sending - (OLD.status = 'sending'),
        sent = sent - (OLD.status = 'sent'), deferred = deferred - (OLD.status = 'deferred'),
        failed = failed - (OLD.status = 'failed'), skipped = skipped - (OLD.status = 'skipped')
    WHERE campaign_id = OLD.campaign_id;
END;

CREATE TRIGGER campaign_counts_update AFTER UPDATE OF status ON deliveries
WHEN OLD.status <> NEW.status BEGIN
    UPDATE campaign_counts SET
        queued = queued + (NEW.status = 'queued') - (OLD.status = 'queued'),
        sending = sending + (NEW.status = 'sending') - (OLD.status = 'sending'),
        sent = sent + (NEW.status = 'sent') - (OLD.status = 'sent'),
        deferred = deferred + (NEW.status = 'deferred') - (OLD.status = 'deferred'),
        failed = failed + (NEW.status = 'failed') - (OLD.status = 'failed'),
        skipped = skipped + (NEW.status = 'skipped') - (OLD.status = 'skipped'),
        first_sent_at = CASE WHEN NEW.status = 'sent' AND (first_sent_at IS NULL OR NEW.sent_at < first_sent_at)
                             THEN NEW.sent_at ELSE first_sent_at END,
        last_sent_at = CASE WHEN NEW.status = 'sent' AND (last_sent_at IS NULL OR NEW.sent_at > last_sent_at)
                            THEN NEW.sent_at ELSE last_sent_at END
    WHERE campaign_id = NEW.campaign_id;
END;

-- A deferral is a move from sending to deferred that kept the attempt
-- (a requeue after a lost connection gives the attempt back).
CREATE TRIGGER campaign_minutes_update AFTER UPDATE OF status ON deliveries
WHEN OLD.status <> NEW.status AND (NEW.status IN ('sent', 'failed')
     OR (OLD.status = 'sending' AND NEW.status = 'deferred' AND NEW.attempts = OLD.attempts)) BEGIN
    INSERT INTO campaign_minutes (campaign_id, minute, sent, deferred, failed)
    VALUES (NEW.campaign_id, substr(CASE NEW.status WHEN 'sent' THEN NEW.sent_at ELSE NEW.updated_at END, 1, 16),
            NEW.status = 'sent', NEW.status = 'deferred', NEW.status = 'failed')
    ON CONFLICT (campaign_id, minute) DO UPDATE SET
        sent = sent + excluded.sent, deferred = deferred + excluded.deferred, failed = failed + excluded.failed;
END;

CREATE TRIGGER campaign_domains_update AFTER UPDATE OF status ON deliveries
WHEN OLD.status <> NEW.status AND (NEW.status IN ('sent', 'failed') OR OLD.status IN ('sent', 'failed')
     OR (OLD.status = 'sending' AND NEW.status = 'deferred' AND NEW.attempts = OLD.attempts)) BEGIN
    INSERT INTO campaign_domains (campaign_id, domain, sent, deferred, failed)
    VALUES (NEW.campaign_id,
            COALESCE((SELECT lower(substr(email, instr(email, '@') + 1)) FROM subscribers WHERE id = NEW.subscriber_id), ''),
            (NEW.status = 'sent') - (OLD.status = 'sent'),
            OLD.status = 'sending' AND NEW.status = 'deferred',
            (NEW.status = 'failed') - (OLD.status = 'failed'))
    ON CONFLICT (campaign_id, domain) DO UPDATE SET
        sent = sent + excluded.sent, deferred = deferred + excluded.deferred, failed = failed + excluded.failed;
END;

CREATE TRIGGER campaign_domains_bounce AFTER INSERT ON bounces
WHEN NEW.campaign_id IS NOT NULL AND NEW.kind IN ('hard', 'soft') BEGIN
    INSERT INTO campaign_domains (campaign_id, domain, bounced)
    VALUES (NEW.campaign_id,
            COALESCE((SELECT lower(substr(email, instr(email, '@') + 1)) FROM subscribers WHERE id = NEW.subscriber_id), ''),
            1)
    ON CONFLICT (campaign_id, domain) DO UPDATE SET bounced = bounced + 1;
END;

-- What existing campaigns already did. Deferrals of the past were not
-- recorded one by one; they start at zero.
INSERT INTO campaign_counts (campaign_id, queued, sending, sent, deferred, failed, skipped, first_sent_at, last_sent_at)
SELECT campaign_id, sum(status = 'queued'), sum(status = 'sending'), sum(status = 'sent'), sum(status = 'deferred'),
       sum(status = 'failed'), sum(status = 'skipped'),
       min(CASE WHEN status = 'sent' THEN sent_at END), max(CASE WHEN status = 'sent' THEN sent_at END)
FROM deliveries GROUP BY campaign_id;

INSERT INTO campaign_minutes (campaign_id, minute, sent, failed)
SELECT campaign_id, substr(CASE status WHEN 'sent' THEN sent_at ELSE updated_at END, 1, 16),
       sum(status = 'sent'), sum(status = 'failed')
FROM deliveries WHERE status IN ('sent', 'failed') GROUP BY 1, 2;

INSERT INTO campaign_domains (campaign_id, domain, sent, failed)
SELECT d.campaign_id, COALESCE(lower(substr(s.email, instr(s.email, '@') + 1)), ''),
       sum(d.status = 'sent'), sum(d.status = 'failed')
FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id
WHERE d.status IN ('sent', 'failed') GROUP BY 1, 2;

INSERT INTO campaign_domains (campaign_id, domain, bounced)
SELECT b.campaign_id, COALESCE(lower(substr(s.email, instr(s.email, '@') + 1)), ''), count(*)
FROM bounces b LEFT JOIN subscribers s ON s.id = b.subscriber_id
WHERE b.campaign_id IS NOT NULL AND b.kind IN ('hard', 'soft') GROUP BY 1, 2
ON CONFLICT (campaign_id, domain) DO UPDATE SET bounced = excluded.bounced;
