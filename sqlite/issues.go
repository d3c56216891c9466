package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/dispatchhq/dispatch/subscribers"
)

// CreateIssue stores a new console issue with its first version. It
// returns ErrExists when the name is taken and ErrInvalid for a bad name
// or an empty or oversized source.
func (s *Store) CreateIssue(ctx context.Context, name string, e subscribers.IssueEdit) (*subscribers.Issue, error) {
	if err := subscribers.ValidateIssueName(name); err != nil {
		return nil, err
	}
	if err := subscribers.CheckIssueSource(e.Source); err != nil {
		return nil, err
	}
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM issues WHERE name = ?`, name).Scan(&n); err != nil {
			return fmt.Errorf("create issue %s: %w", name, err)
		}
		if n > 0 {
			return fmt.Errorf("issue %s: %w", name, subscribers.ErrExists)
		}
		now := formatTime(s.now())
		res, err := tx.ExecContext(ctx, `INSERT INTO issues (name, created_by, created_at) VALUES (?, ?, ?)`, name, e.Actor, now)
		if err != nil {
			return fmt.Errorf("create issue %s: %w", name, err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("create issue %s: %w", name, err)
		}
		_, err = insertIssueVersion(ctx, tx, id, 1, e, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.FindIssueByID(ctx, id)
}

func insertIssueVersion(ctx context.Context, tx *sql.Tx, issueID int64, number int, e subscribers.IssueEdit, now string) (int64, error) {
	res, err := tx.ExecContext(ctx, `
		INSERT INTO issue_versions (issue_id, number, source, subject, saved_by, saved_at)
		VALUES (?, ?, ?, ?, ?, ?)`, issueID, number, e.Source, e.Subject, e.Actor, now)
	if err != nil {
		return 0, fmt.Errorf("save issue %d: %w", issueID, err)
	}
	return res.LastInsertId()
}

// SaveIssue adds a version to an issue, unless the source is the same as
// the latest version's: then it returns that version and false.
func (s *Store) SaveIssue(ctx context.Context, id int64, e subscribers.IssueEdit) (*subscribers.IssueVersion, bool, error) {
	if err := subscribers.CheckIssueSource(e.Source); err != nil {
		return nil, false, err
	}
	saved := false
	var number int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		latest, err := findLatestVersion(ctx, tx, id)
		if err != nil {
			return err
		}
		number = latest.Number
		if latest.Source == e.Source {
			return nil
		}
		number++
		if _, err := insertIssueVersion(ctx, tx, id, number, e, formatTime(s.now())); err != nil {
			return err
		}
		saved = true
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	v, err := s.FindIssueVersion(ctx, id, number)
	return v, saved, err
}

const versionColumns = `v.id, v.issue_id, v.number, v.source, v.subject, length(CAST(v.source AS BLOB)), v.saved_by, v.saved_at`

func scanVersion(sc interface{ Scan(...any) error }, v *subscribers.IssueVersion) error {
	var at string
	if err := sc.Scan(&v.ID, &v.IssueID, &v.Number, &v.Source, &v.Subject, &v.Size, &v.SavedBy, &at); err != nil {
		return err
	}
	v.SavedAt = parseTime(at)
	return nil
}

func findLatestVersion(ctx context.Context, tx *sql.Tx, issueID int64) (*subscribers.IssueVersion, error) {
	var v subscribers.IssueVersion
	err := scanVersion(tx.QueryRowContext(ctx, `SELECT `+versionColumns+` FROM issue_versions v
		WHERE v.issue_id = ? ORDER BY v.number DESC LIMIT 1`, issueID), &v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("issue %d: %w", issueID, subscribers.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find issue %d: %w", issueID, err)
	}
	return &v, nil
}

// issueQuery reads issues with their latest version and version count.
const issueQuery = `SELECT i.id, i.name, i.created_by, i.created_at, ` + versionColumns + `,
		(SELECT count(*) FROM issue_versions c WHERE c.issue_id = i.id)
	FROM issues i JOIN issue_versions v ON v.issue_id = i.id
	  AND v.number = (SELECT max(number) FROM issue_versions m WHERE m.issue_id = i.id)`

func scanIssue(sc interface{ Scan(...any) error }) (*subscribers.Issue, error) {
	var is subscribers.Issue
	var created, at string
	v := &is.Latest
	if err := sc.Scan(&is.ID, &is.Name, &is.CreatedBy, &created,
		&v.ID, &v.IssueID, &v.Number, &v.Source, &v.Subject, &v.Size, &v.SavedBy, &at, &is.Versions); err != nil {
		return nil, err
	}
	is.CreatedAt, v.SavedAt = parseTime(created), parseTime(at)
	return &is, nil
}

// FindIssues returns every console issue, the latest saved first, each
// with its latest version (source left out).
func (s *Store) FindIssues(ctx context.Context) ([]subscribers.Issue, error) {
	rows, err := s.db.QueryContext(ctx, issueQuery+` ORDER BY v.saved_at DESC, i.id DESC`)
	if err != nil {
		return nil, fmt.Errorf("find issues: %w", err)
	}
	defer rows.Close()
	var out []subscribers.Issue
	for rows.Next() {
		is, err := scanIssue(rows)
		if err != nil {
			return nil, fmt.Errorf("find issues: %w", err)
		}
		is.Latest.Source = ""
		out = append(out, *is)
	}
	return out, rows.Err()
}

// FindIssueByID returns an issue with the source of its latest version,
// or ErrNotFound.
func (s *Store) FindIssueByID(ctx context.Context, id int64) (*subscribers.Issue, error) {
	is, err := scanIssue(s.db.QueryRowContext(ctx, issueQuery+` WHERE i.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("issue %d: %w", id, subscribers.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find issue %d: %w", id, err)
	}
	return is, nil
}

// FindIssueVersions lists an issue's versions, newest first, without
// their sources. An unknown issue is ErrNotFound.
func (s *Store) FindIssueVersions(ctx context.Context, issueID int64) ([]subscribers.IssueVersion, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+versionColumns+` FROM issue_versions v
		WHERE v.issue_id = ? ORDER BY v.number DESC`, issueID)
	if err != nil {
		return nil, fmt.Errorf("find versions of issue %d: %w", issueID, err)
	}
	defer rows.Close()
	var out []subscribers.IssueVersion
	for rows.Next() {
		var v subscribers.IssueVersion
		if err := scanVersion(rows, &v); err != nil {
			return nil, fmt.Errorf("find versions of issue %d: %w", issueID, err)
		}
		v.Source = ""
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find versions of issue %d: %w", issueID, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("issue %d: %w", issueID, subscribers.ErrNotFound)
	}
	return out, nil
}

// FindIssueVersion returns version number of an issue, with its source,
// or ErrNotFound.
func (s *Store) FindIssueVersion(ctx context.Context, issueID int64, number int) (*subscribers.IssueVersion, error) {
	var v subscribers.IssueVersion
	err := scanVersion(s.db.QueryRowContext(ctx, `SELECT `+versionColumns+` FROM issue_versions v
		WHERE v.issue_id = ? AND v.number = ?`, issueID, number), &v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("issue %d version %d: %w", issueID, number, subscribers.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find issue %d version %d: %w", issueID, number, err)
	}
	return &v, nil
}
