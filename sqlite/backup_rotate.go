package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// rotateStamp names dated backups; it sorts in time order as text.
const rotateStamp = "20060102T150405Z"

// RotatedBackup writes a dated backup of src into dir
// (dispatch-20261202T013000Z.db for dispatch.db) and then deletes the
// oldest dated backups of the same database beyond keep (keep <= 0 keeps
// all). Deleted names are returned. Only files that match the dated name
// exactly are ever deleted. opt is as for Backup.
func RotatedBackup(ctx context.Context, src, dir string, keep int, now time.Time, opt BackupOptions) (BackupInfo, []string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return BackupInfo{}, nil, fmt.Errorf("back up to %s: %w", dir, err)
	}
	prefix, ext := rotatePrefix(src)
	dst := filepath.Join(dir, prefix+now.UTC().Format(rotateStamp)+ext)
	info, err := Backup(ctx, src, dst, opt)
	if err != nil {
		return info, nil, err
	}
	if keep <= 0 {
		return info, nil, nil
	}
	dated, err := datedBackups(src, dir)
	if err != nil {
		return info, nil, fmt.Errorf("rotate backups in %s: %w", dir, err)
	}
	var removed []string
	for len(dated) > keep {
		p := filepath.Join(dir, dated[0])
		if err := os.Remove(p); err != nil {
			return info, removed, fmt.Errorf("rotate backups: %w", err)
		}
		removed = append(removed, p)
		dated = dated[1:]
	}
	return info, removed, nil
}

// NewestRotatedBackup returns the time in the name of the newest dated
// backup of src in dir, or the zero time when there is none (or no dir):
// a scheduler restarted in between resumes from it.
func NewestRotatedBackup(src, dir string) (time.Time, error) {
	dated, err := datedBackups(src, dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return time.Time{}, nil
		}
		return time.Time{}, fmt.Errorf("list backups in %s: %w", dir, err)
	}
	if len(dated) == 0 {
		return time.Time{}, nil
	}
	prefix, ext := rotatePrefix(src)
	return time.Parse(rotateStamp, strings.TrimSuffix(strings.TrimPrefix(dated[len(dated)-1], prefix), ext))
}

// datedBackups lists the names of src's dated backups in dir, oldest
// first.
func datedBackups(src, dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	prefix, ext := rotatePrefix(src)
	var dated []string
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, ext) {
			continue
		}
		stamp := strings.TrimSuffix(strings.TrimPrefix(name, prefix), ext)
		if _, err := time.Parse(rotateStamp, stamp); err != nil {
			continue
		}
		dated = append(dated, name)
	}
	sort.Strings(dated)
	return dated, nil
}

// rotatePrefix splits dispatch.db into "dispatch-" and ".db".
func rotatePrefix(src string) (string, string) {
	base := filepath.Base(src)
	ext := filepath.Ext(base)
	if ext == "" {
		ext = ".db"
	}
	return strings.TrimSuffix(base, filepath.Ext(base)) + "-", ext
}
