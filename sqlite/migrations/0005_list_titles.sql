-- 0005: a list's title, the name its recipients see in messages and on the
-- unsubscribe pages. Empty means "use the name".

ALTER TABLE lists ADD COLUMN title TEXT NOT NULL DEFAULT '';
