-- 0013: issues written or uploaded in the admin console, with their
-- history. Each save is a new row of issue_versions (append-only), so
-- "who saved what, when" is answered by the rows themselves. Campaigns
-- keep their own snapshot: nothing here is read by a send in progress.
CREATE TABLE issues (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,  -- the issue's id when its front matter has none
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE issue_versions (
    id       INTEGER PRIMARY KEY,
    issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    number   INTEGER NOT NULL,        -- 1, 2, … per issue
    source   TEXT NOT NULL,           -- the Markdown with its front matter
    subject  TEXT NOT NULL DEFAULT '', -- as parsed when saved, for lists
    saved_by TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    UNIQUE (issue_id, number)
);
