-- 0004: bounce and complaint reports that could not be tied to a delivery
-- Dispatch made. They changed no one; `dispatch bounces unattributed` lists
-- them for the admin to review.

CREATE TABLE unattributed_reports (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('hard', 'soft', 'complaint')),
    source      TEXT NOT NULL,               -- mail, webhook:ses, ...
    source_key  TEXT UNIQUE,                 -- recording the same report twice is a no-op
    reason      TEXT NOT NULL,               -- why it was not applied
    recipients  INTEGER NOT NULL DEFAULT 0,  -- how many recipients the report names
    addresses   TEXT NOT NULL DEFAULT '[]',  -- JSON array of the first few, lower-cased
    status      TEXT NOT NULL DEFAULT '',    -- RFC 3463 status of the first recipient
    detail      TEXT NOT NULL DEFAULT '',    -- diagnostic, or where the report came from
    created_at  TEXT NOT NULL
);
CREATE INDEX unattributed_reports_created ON unattributed_reports (created_at);
