-- 0002: bounces and complaints, from SMTP replies, DSN mail and webhooks.

CREATE TABLE bounces (
    id            INTEGER PRIMARY KEY,
    subscriber_id INTEGER REFERENCES subscribers (id) ON DELETE CASCADE,
    campaign_id   INTEGER,
    delivery_id   INTEGER,
    kind          TEXT NOT NULL CHECK (kind IN ('hard', 'soft', 'complaint')),
    status        TEXT NOT NULL DEFAULT '',   -- RFC 3463 enhanced status code
    reason        TEXT NOT NULL DEFAULT '',
    source        TEXT NOT NULL,              -- smtp, mail, webhook:ses, ...
    source_key    TEXT UNIQUE,                -- makes processing a message twice a no-op
    created_at    TEXT NOT NULL
);
CREATE INDEX bounces_subscriber ON bounces (subscriber_id, created_at);
CREATE INDEX bounces_campaign ON bounces (campaign_id) WHERE campaign_id IS NOT NULL;
