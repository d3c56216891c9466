package tracking

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"sync"
	"time"
)

// daySalt is the day's secret salt, held only inside the hashers it keys:
// a new day gets a new one and the old is dropped with its pool.
type daySalt struct {
	day     int64
	hashers sync.Pool // of *keyer
}

// keyer is an HMAC-SHA-256 keyed with the salt, with buffers of its own:
// anything handed to a hash.Hash escapes, so a buffer on the stack would
// cost an allocation per click.
type keyer struct {
	h   hash.Hash
	buf []byte
}

func newDaySalt(day int64) *daySalt {
	salt := make([]byte, 32)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails (Go 1.24+)
	ds := &daySalt{day: day}
	ds.hashers.New = func() any { return &keyer{h: hmac.New(sha256.New, salt), buf: make([]byte, 0, 256)} }
	return ds
}

// saltFor returns the salt of day, making it on the first click of the
// day.
func (c *Counter) saltFor(day int64) *daySalt {
	if ds := c.salt.Load(); ds != nil && ds.day >= day {
		return ds // a click racing the change of day keeps the new salt
	}
	c.saltMu.Lock()
	defer c.saltMu.Unlock()
	ds := c.salt.Load()
	if ds == nil || ds.day < day {
		ds = newDaySalt(day)
		c.salt.Store(ds)
	}
	return ds
}

// visitorKey names the reader of a click for the day, without a lock: an
// HMAC with the day's salt of the delivery in individual mode, else of
// the address and user agent. It returns the salt's day with the key.
func (c *Counter) visitorKey(cl Click, at time.Time) (int64, [16]byte) {
	ds := c.saltFor(at.Unix() / 86400)
	k := ds.hashers.Get().(*keyer)
	b := binary.BigEndian.AppendUint64(k.buf[:0], uint64(cl.CampaignID))
	b = binary.BigEndian.AppendUint64(b, uint64(cl.DeliveryID))
	if cl.DeliveryID == 0 {
		ip := cl.IP.As16()
		b = append(append(b, ip[:]...), cl.UserAgent...)
	}
	k.h.Reset()
	k.h.Write(b)
	k.buf = k.h.Sum(b[:0])
	var key [16]byte
	copy(key[:], k.buf)
	if cap(k.buf) > 4096 {
		k.buf = make([]byte, 0, 256) // a huge user agent is not kept
	}
	ds.hashers.Put(k)
	return ds.day, key
}
