-- 0017: engagement without surveillance (issue 16). Click tracking is off
-- unless a list or an issue turns it on; what is kept is counts, not
-- people, except in 'individual' mode, which needs a list whose recorded
-- basis for tracking is consent.

-- A list's tracking setting. No row, or '' in a column, means the
-- configuration's tracking.clicks / tracking.opens apply. basis is the
-- lawful basis the list records for tracking its readers: 'consent',
-- 'contract' or 'legitimate-interest' ('' = none recorded).
CREATE TABLE list_tracking (
    list_id INTEGER PRIMARY KEY REFERENCES lists (id) ON DELETE CASCADE,
    clicks  TEXT NOT NULL DEFAULT '' CHECK (clicks IN ('', 'off', 'aggregate', 'individual')),
    opens   TEXT NOT NULL DEFAULT '' CHECK (opens IN ('', 'off', 'aggregate')),
    basis   TEXT NOT NULL DEFAULT '' CHECK (basis IN ('', 'consent', 'contract', 'legitimate-interest'))
);

-- How a campaign was tracked, fixed when it was created so a resumed send
-- and the redirect agree with what went out. No row means off.
CREATE TABLE campaign_tracking (
    campaign_id INTEGER PRIMARY KEY REFERENCES campaigns (id) ON DELETE CASCADE,
    clicks      TEXT NOT NULL CHECK (clicks IN ('off', 'aggregate', 'individual')),
    opens       TEXT NOT NULL CHECK (opens IN ('off', 'aggregate'))
);

-- Each content link of a campaign, registered once: n is its place in the
-- message, section the headline it appears under. The redirect sends a
-- click on /l/CAMPAIGN/N.SIG to url and nowhere else.
CREATE TABLE campaign_links (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    n           INTEGER NOT NULL,
    url         TEXT NOT NULL,
    section     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (campaign_id, n)
) WITHOUT ROWID;

-- Clicks per link per hour: counts only. unique_humans counts, in the hour
-- of their first human click of the day, the readers who clicked the link
-- that day (told apart by an HMAC with a salt kept in memory for one day),
-- so a day's rows sum to that day's unique humans.
CREATE TABLE link_clicks (
    campaign_id   INTEGER NOT NULL,
    n             INTEGER NOT NULL,
    hour          INTEGER NOT NULL, -- unix seconds of the hour's start, UTC
    human         INTEGER NOT NULL DEFAULT 0,
    machine       INTEGER NOT NULL DEFAULT 0,
    unique_humans INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, n, hour),
    FOREIGN KEY (campaign_id, n) REFERENCES campaign_links (campaign_id, n) ON DELETE CASCADE
) WITHOUT ROWID;

-- Individual mode only: which delivery clicked which link, and when.
CREATE TABLE link_clicks_individual (
    campaign_id INTEGER NOT NULL,
    n           INTEGER NOT NULL,
    delivery_id INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    clicked_at  TEXT NOT NULL,
    machine     INTEGER NOT NULL CHECK (machine IN (0, 1)),
    FOREIGN KEY (campaign_id, n) REFERENCES campaign_links (campaign_id, n) ON DELETE CASCADE
);
CREATE INDEX link_clicks_individual_delivery ON link_clicks_individual (delivery_id);

-- Opens per campaign per hour, from the optional pixel. They include the
-- machine opens of Apple Mail Privacy Protection and drive no decision.
CREATE TABLE campaign_opens (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    hour        INTEGER NOT NULL,
    opens       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, hour)
) WITHOUT ROWID;
