package web

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/sync/singleflight"
)

// answerCacheSize bounds the answers kept of each kind (web versions,
// index pages, feeds). Only answers that found something are kept, so
// this is reached by real pages only; when full, the cache is emptied.
const answerCacheSize = 1024

// answerCache keeps what the archive answered for a path, for as long as
// the database has not changed since the answer was read from it
// (Store.DataVersion). Any commit at all, by this process or another one
// (`dispatch lists set --private` beside `dispatch serve`), makes every
// answer be read again on its next request, so a list made private, a
// rename or a new issue shows at once. The rendered web versions
// themselves stay in issueCache: a sent campaign never changes.
type answerCache[K comparable, V any] struct {
	mu     sync.RWMutex
	m      map[K]versioned[V]
	flight singleflight.Group
}

type versioned[V any] struct {
	version int64
	v       V
}

func newAnswerCache[K comparable, V any]() *answerCache[K, V] {
	return &answerCache[K, V]{m: map[K]versioned[V]{}}
}

func (c *answerCache[K, V]) get(k K, version int64) (V, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || e.version != version {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *answerCache[K, V]) put(k K, version int64, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= answerCacheSize {
		clear(c.m)
	}
	c.m[k] = versioned[V]{version, v}
}

// answer returns c's answer for k as of the database's current version.
// When there is none, load reads it, once however many requests ask at the
// same time, and it is kept unless load failed. The version is read before
// load, so a change committed while load runs makes the next request read
// again.
func answer[K comparable, V any](ctx context.Context, store Store, c *answerCache[K, V], k K,
	load func(context.Context) (V, error)) (V, error) {
	var zero V
	version, err := store.DataVersion(ctx)
	if err != nil {
		return zero, err
	}
	if v, ok := c.get(k, version); ok {
		return v, nil
	}
	// Requests that arrive after a change must not share a read begun
	// before it: the version is part of the flight's name.
	v, err, _ := c.flight.Do(flightKey(version, k), func() (any, error) {
		// One request's read serves the others: its client leaving must
		// not cancel it for them.
		v, err := load(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		c.put(k, version, v)
		return v, nil
	})
	if err != nil {
		return zero, err
	}
	return v.(V), nil
}

// flightKey names a read in flight: the version and the key in Go syntax,
// where strings are quoted, so that no two keys share a name (with %v,
// list "a b" and slug "c" would read as list "a" and slug "b c").
func flightKey(version int64, k any) string {
	return fmt.Sprintf("%d %#v", version, k)
}
