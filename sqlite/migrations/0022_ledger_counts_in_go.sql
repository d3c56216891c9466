-- 0022: the ledger keeps the campaign counts of 0014 itself. Each change
-- of a delivery's status fired up to three upserts (and a subscriber
-- lookup for the domain), twice per message: on the send path that cost
-- more CPU than the rest of the ledger's writes and halved throughput
-- against the bare SMTP client. The ledger's group commit now adds up a
-- batch's changes in Go and writes one row per campaign, minute and
-- domain, in the same transaction as the deliveries (sqlite/count_moves.go);
-- the other statements that change a delivery's status (recovery of a
-- dead run, retry of failures, cancel) do the same.
--
-- Insert, delete and bounce triggers stay: inserts and deletes come a
-- campaign at a time, and bounces are few.
DROP TRIGGER campaign_counts_update;
DROP TRIGGER campaign_minutes_update;
DROP TRIGGER campaign_domains_update;
