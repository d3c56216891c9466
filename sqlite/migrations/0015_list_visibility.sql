-- 0015: a list's visibility. Public lists have a web archive of their
-- issues (index, Atom feed) and show in the preference centre; the issues
-- of a private list are reachable only through the signed link in the
-- email. New lists are private.

ALTER TABLE lists ADD COLUMN visibility TEXT NOT NULL DEFAULT 'private'
    CHECK (visibility IN ('public', 'private'));

-- The archive reads a list's started campaigns newest first.
CREATE INDEX campaigns_archive ON campaigns (list_id, started_at) WHERE started_at IS NOT NULL;
