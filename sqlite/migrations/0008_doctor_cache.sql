-- Results of `dispatch doctor`'s DNS checks, kept so that `dispatch send`
-- repeats them at most once a day. The key is a digest of what the checks
-- looked at (domains, selector, key, relays), so a changed setting is a
-- cache miss.
CREATE TABLE doctor_cache (
    key        TEXT PRIMARY KEY,
    report     TEXT NOT NULL,
    checked_at TEXT NOT NULL
);
