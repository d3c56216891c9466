package sqlite

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// A sender's commit loop writes the deliveries of every commit at once,
// but may hold back the campaign counts those commits change: each commit
// that writes them rewrites the campaign_counts page, one more WAL frame
// per commit next to the deliveries' one or two. ApplyLedgerBuffered adds
// a commit's counts to the store's buffer, and writes the buffer with the
// commit once it is bufferAge old or holds bufferCommits commits;
// FlushLedgerCounts writes it at any time (the sender does when it goes
// idle and when it stops; Close does too).
//
// The age is what writes it during a send. Each write adds up the minutes
// and domains of everything held (a list spans a hundred domains) and
// folds them into their tables, which every 32 commits took an eighth of
// the ledger's CPU; every 250 ms it is a few writes a second
// (docs/benchmarks.md). bufferCommits only bounds the memory of a sender
// much faster than ours.
//
// A process that dies loses its buffer. Migration 0025's unflushed column
// says so: the first commit that holds back a campaign's counts sets it to
// the store's own mark (holderMark), in that commit, and the commit that
// writes them clears it. The start, end or cancelling of a run of a
// campaign still marked counts its counts again from its deliveries
// (StartCampaignRun, EndCampaignRun, CancelCampaign, recountIfHeldBack);
// only the deferrals of the lost commits, which no delivery remembers, are
// missing from the timeline and domains.
//
// A process that was only stopped (a hung `serve` whose lease another
// process took over) comes back with its buffer. By then the other
// process has counted the campaign again, and cleared or replaced the
// mark: the buffer's counts for it are in that count already, and writing
// them would count them twice. So a write whose mark is no longer there
// leaves that campaign's counts out and marks it needsRecount; the end of
// the run that holds the campaign then counts it again, with whatever the
// returning process committed meanwhile.
const (
	bufferCommits = 4096
	bufferAge     = 250 * time.Millisecond
)

type ledgerBuffer struct {
	mu      sync.Mutex // held for a whole buffered commit or flush
	moves   *countMoves
	marked  map[int64]bool // campaigns this store marked (unflushed = its holderMark)
	commits int
	limit   int              // commits it holds at most; 0: bufferCommits (tests set less)
	clock   func() time.Time // its age's clock; nil: time.Now (tests set their own)
	since   time.Time
}

// ApplyLedgerBuffered is ApplyLedger for a sender's commit loop: the
// deliveries are as durable when it returns, and the campaigns' counts
// follow within bufferAge or bufferCommits commits, or at
// FlushLedgerCounts.
func (s *Store) ApplyLedgerBuffered(ctx context.Context, ops []subscribers.LedgerOp) ([]error, error) {
	b := &s.buffer
	b.mu.Lock()
	defer b.mu.Unlock()
	return s.applyLedger(ctx, ops, func(ctx context.Context, tx queryer, moved []countMove) (func(), error) {
		now := time.Now()
		if b.clock != nil {
			now = b.clock()
		}
		if b.commits+1 >= cmp.Or(b.limit, bufferCommits) || (!b.since.IsZero() && now.Sub(b.since) >= bufferAge) {
			// The buffer itself changes only once the commit has made it:
			// a commit that fails leaves it as it was.
			var all countMoves
			if b.moves != nil {
				all.merge(b.moves)
			}
			all.addAll(moved)
			if err := s.writeBuffered(ctx, tx, &all); err != nil {
				return nil, err
			}
			return b.reset, nil
		}
		// Most commits hold back the counts of one campaign, which the
		// buffer has marked already: this loop, not a set, finds the new.
		var marks []int64
		for _, mv := range moved {
			if mv.from == mv.to || b.marked[mv.campaign] || slices.Contains(marks, mv.campaign) {
				continue
			}
			// Another mark stays: the write then finds it, not this one.
			if _, err := tx.ExecContext(ctx, `UPDATE campaign_counts SET unflushed = CASE unflushed WHEN 0 THEN ? ELSE unflushed END
				WHERE campaign_id = ?`, s.holder, mv.campaign); err != nil {
				return nil, fmt.Errorf("keep campaign counts: %w", err)
			}
			marks = append(marks, mv.campaign)
		}
		return func() {
			if b.moves == nil {
				b.moves, b.marked, b.since = &countMoves{}, map[int64]bool{}, now
			}
			b.moves.addAll(moved)
			for _, c := range marks {
				b.marked[c] = true
			}
			b.commits++
		}, nil
	})
}

// FlushLedgerCounts writes the counts that ApplyLedgerBuffered holds back.
func (s *Store) FlushLedgerCounts(ctx context.Context) error {
	b := &s.buffer
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.moves == nil {
		return nil
	}
	err := s.inConnTx(ctx, func(tx queryer) error { return s.writeBuffered(ctx, tx, b.moves) })
	if err != nil {
		return fmt.Errorf("flush campaign counts: %w", err)
	}
	b.reset()
	return nil
}

// writeBuffered writes moves, the buffer's (and a commit's), and clears
// the marks of the campaigns the buffer held. A campaign whose mark is no
// longer this store's was counted again meanwhile: its moves are left
// out, and it is marked needsRecount.
func (s *Store) writeBuffered(ctx context.Context, tx queryer, moves *countMoves) error {
	var kept []int64
	for c := range s.buffer.marked {
		var mark int64
		err := tx.QueryRowContext(ctx, `SELECT unflushed FROM campaign_counts WHERE campaign_id = ?`, c).Scan(&mark)
		if errors.Is(err, sql.ErrNoRows) {
			continue // the campaign is gone, and its counts with it
		}
		if err != nil {
			return fmt.Errorf("keep campaign counts: %w", err)
		}
		if mark == s.holder {
			kept = append(kept, c)
			continue
		}
		moves.drop(c)
		if _, err := tx.ExecContext(ctx, `UPDATE campaign_counts SET unflushed = ? WHERE campaign_id = ?`, needsRecount, c); err != nil {
			return fmt.Errorf("keep campaign counts: %w", err)
		}
	}
	if err := moves.write(ctx, s, tx); err != nil {
		return err
	}
	for _, c := range kept {
		if _, err := tx.ExecContext(ctx, `UPDATE campaign_counts SET unflushed = 0 WHERE campaign_id = ?`, c); err != nil {
			return fmt.Errorf("keep campaign counts: %w", err)
		}
	}
	return nil
}

// needsRecount is the unflushed mark of a campaign whose counts a store
// found counted again by another (writeBuffered); every store's own mark
// (holderMark) is larger.
const needsRecount = 1

// holderMark is a new store's mark for the campaigns whose counts it holds
// back: random, so that no other process's store has the same.
func holderMark() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return int64(binary.BigEndian.Uint64(b[:])>>2) + needsRecount + 1
}

// drop forgets the moves of campaign.
func (m *countMoves) drop(campaign int64) {
	delete(m.counts, campaign)
	for k := range m.minutes {
		if k.campaign == campaign {
			delete(m.minutes, k)
		}
	}
	for k := range m.domains {
		if k.campaign == campaign {
			delete(m.domains, k)
		}
	}
}

func (b *ledgerBuffer) reset() {
	b.moves, b.marked, b.commits, b.since = nil, nil, 0, time.Time{}
}

// merge adds o's moves to m.
func (m *countMoves) merge(o *countMoves) {
	for c, oc := range o.counts {
		mc := m.status(c)
		for i := range mc.n {
			mc.n[i] += oc.n[i]
		}
		if oc.first != "" && (mc.first == "" || oc.first < mc.first) {
			mc.first = oc.first
		}
		if oc.last > mc.last {
			mc.last = oc.last
		}
	}
	for k, c := range o.minutes {
		m.minute(k.campaign, k.key).addTo(*c)
	}
	for k, c := range o.domains {
		m.domain(k.campaign, k.key).addTo(*c)
	}
}

// RecountCampaign counts a campaign's kept counts again from its
// deliveries (see recountCampaign), for those who write deliveries without
// the ledger: test seeds that write a sent campaign in a few statements.
func (s *Store) RecountCampaign(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return recountCampaign(ctx, tx, id) })
}

// recountIfHeldBack counts campaign id's kept counts again if another
// process held some back (it died, or was stopped and taken over) or
// found them counted again: the campaign is still marked unflushed once
// the caller has flushed its own store's buffer (StartCampaignRun,
// EndCampaignRun, CancelCampaign).
func (s *Store) recountIfHeldBack(ctx context.Context, tx *sql.Tx, id int64) error {
	var lost bool
	if err := tx.QueryRowContext(ctx, `SELECT unflushed <> 0 FROM campaign_counts WHERE campaign_id = ?`, id).Scan(&lost); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read campaign counts: %w", err)
	}
	if !lost {
		return nil
	}
	return recountCampaign(ctx, tx, id)
}

// recountCampaign counts a campaign's kept counts again from its
// deliveries, after a process that held some back died (ledger_buffer.go):
// the counts by status and the sent and failed per minute and per domain.
// The deferrals and bounces per minute and domain are history and stay.
func recountCampaign(ctx context.Context, tx *sql.Tx, id int64) error {
	if err := foldPending(ctx, tx, id); err != nil {
		return err
	}
	for _, q := range []string{
		`UPDATE campaign_counts SET (queued, sending, sent, deferred, failed, skipped, first_sent_at, last_sent_at) = (
			SELECT count(*) FILTER (WHERE status = ` + sqlQueued + `), count(*) FILTER (WHERE status = ` + sqlSending + `),
			       count(*) FILTER (WHERE status = ` + sqlSent + `), count(*) FILTER (WHERE status = ` + sqlDeferred + `),
			       count(*) FILTER (WHERE status = ` + sqlFailed + `), count(*) FILTER (WHERE status = ` + sqlSkipped + `),
			       min(sent_at) FILTER (WHERE status = ` + sqlSent + `), max(sent_at) FILTER (WHERE status = ` + sqlSent + `)
			FROM deliveries WHERE campaign_id = ?1), unflushed = 0 WHERE campaign_id = ?1`,
		`UPDATE campaign_minutes SET sent = 0, failed = 0 WHERE campaign_id = ?1`,
		`INSERT INTO campaign_minutes (campaign_id, minute, sent, failed)
			SELECT campaign_id, substr(CASE status WHEN ` + sqlSent + ` THEN sent_at ELSE updated_at END, 1, 16),
			       count(*) FILTER (WHERE status = ` + sqlSent + `), count(*) FILTER (WHERE status = ` + sqlFailed + `)
			FROM deliveries WHERE campaign_id = ?1 AND status IN (` + sqlSent + `, ` + sqlFailed + `) GROUP BY 1, 2
			ON CONFLICT (campaign_id, minute) DO UPDATE SET sent = excluded.sent, failed = excluded.failed`,
		`UPDATE campaign_domains SET sent = 0, failed = 0 WHERE campaign_id = ?1`,
		`INSERT INTO campaign_domains (campaign_id, domain, sent, failed)
			SELECT d.campaign_id, COALESCE((SELECT ` + domainOf + ` FROM subscribers WHERE id = d.subscriber_id), ''),
			       count(*) FILTER (WHERE d.status = ` + sqlSent + `), count(*) FILTER (WHERE d.status = ` + sqlFailed + `)
			FROM deliveries d WHERE d.campaign_id = ?1 AND d.status IN (` + sqlSent + `, ` + sqlFailed + `) GROUP BY 1, 2
			ON CONFLICT (campaign_id, domain) DO UPDATE SET sent = excluded.sent, failed = excluded.failed`,
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("count campaign %d again: %w", id, err)
		}
	}
	return nil
}
