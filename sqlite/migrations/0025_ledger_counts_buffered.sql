-- 0025: a sender's commit loop may keep the campaign counts of its
-- commits in memory for a few dozen commits (sqlite/ledger_buffer.go):
-- each commit that changes the counts rewrites the campaign_counts page,
-- a WAL frame as large as the deliveries' own, which cost the send about a
-- tenth of its throughput. unflushed marks a campaign whose counts a
-- process holds in memory; it is set by the first commit that holds them
-- back and cleared by the one that writes them. A campaign still marked
-- when its next run starts lost them with its process, and its counts
-- are counted again from the deliveries.
ALTER TABLE campaign_counts ADD COLUMN unflushed INTEGER NOT NULL DEFAULT 0;
