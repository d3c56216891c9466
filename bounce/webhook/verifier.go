package webhook

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// Verifier verifies and parses provider webhooks. It is safe for concurrent
// use. It keeps a cache of SNS signing certificates and, if enabled, of
// Mailgun tokens, so create one per process and reuse it.
type Verifier struct {
	cfg     Config
	now     func() time.Time
	maxAge  time.Duration
	maxBody int64

	headers map[string]bool // canonical header names to surface

	topics map[string]bool // allowed SNS topics
	client *http.Client    // for SNS fetches; never follows redirects
	certs  certCache

	sendgridKey *ecdsa.PublicKey
	tokens      tokenCache
}

// New checks cfg, applies defaults and returns a Verifier. It fails if a
// configured secret is malformed (an unparsable SendGrid key, a Postmark
// username without a password).
func New(cfg Config) (*Verifier, error) {
	v := &Verifier{
		cfg:     cfg,
		now:     cfg.Now,
		maxAge:  cfg.MaxAge,
		maxBody: cfg.MaxBodyBytes,
		headers: map[string]bool{"Message-Id": true, DeliveryHeader: true},
		topics:  map[string]bool{},
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.maxAge == 0 {
		v.maxAge = DefaultMaxAge
	}
	if v.maxBody <= 0 {
		v.maxBody = DefaultMaxBodyBytes
	}
	for _, h := range cfg.Headers {
		v.headers[textproto.CanonicalMIMEHeaderKey(h)] = true
	}
	if cfg.SES.Enabled {
		if len(cfg.SES.TopicARNs) == 0 {
			return nil, errors.New("ses: topic arns are required: list the SNS topics SES publishes to " +
				"(arn:aws:sns:REGION:ACCOUNT:NAME); any AWS account can sign messages for a topic of its own")
		}
		for _, t := range cfg.SES.TopicARNs {
			t = strings.TrimSpace(t)
			if _, err := topicRegion(t); err != nil {
				return nil, fmt.Errorf("ses: %w", err)
			}
			v.topics[t] = true
		}
	}
	v.client = noRedirects(cfg.SES.HTTPClient)

	if cfg.SendGrid.PublicKey != "" {
		key, err := parseSendGridKey(cfg.SendGrid.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("sendgrid public key: %w", err)
		}
		v.sendgridKey = key
	}
	pm := &v.cfg.Postmark
	if (pm.Username == "") != (pm.Password == "") {
		return nil, errors.New("postmark: set both username and password, or neither")
	}
	if pm.TokenHeader == "" {
		pm.TokenHeader = DefaultPostmarkHeader
	}
	return v, nil
}

// Handle reads r's body (at most MaxBodyBytes), verifies it as a webhook of
// provider (one of the Provider constants) and returns the events in it.
// ctx bounds the outbound fetches of SNS certificates and SubscribeURLs.
//
// Errors wrap ErrUnknownProvider, ErrBadRequest or ErrUnauthorized; any
// other error (a failed certificate fetch or subscription confirmation) is
// worth a provider retry. Handle does not close r.Body.
func (v *Verifier) Handle(ctx context.Context, provider string, r *http.Request) (Result, error) {
	var handle func(context.Context, *http.Request) (Result, error)
	switch provider {
	case ProviderSES:
		if v.cfg.SES.Enabled {
			handle = v.handleSNS
		}
	case ProviderSendGrid:
		if v.sendgridKey != nil {
			handle = v.handleSendGrid
		}
	case ProviderPostmark:
		if v.cfg.Postmark.Username != "" || v.cfg.Postmark.Token != "" {
			handle = v.handlePostmark
		}
	case ProviderMailgun:
		if v.cfg.Mailgun.SigningKey != "" {
			handle = v.handleMailgun
		}
	}
	if handle == nil {
		return Result{}, fmt.Errorf("webhook %q: %w", provider, ErrUnknownProvider)
	}
	// Hash the body as the handler reads it, for Event.BodyKey.
	sum := sha256.New()
	if r.Body != nil && r.Body != http.NoBody {
		orig := r.Body
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.TeeReader(orig, sum), orig}
		defer func() { r.Body = orig }()
	}
	res, err := handle(ctx, r)
	if err != nil {
		return Result{}, fmt.Errorf("%s webhook: %w", provider, err)
	}
	body := hex.EncodeToString(sum.Sum(nil))
	for i := range res.Events {
		res.Events[i].BodyKey = body + ":" + strconv.Itoa(i)
	}
	return res, nil
}

// readBody reads the whole body, refusing more than maxBody bytes.
func (v *Verifier) readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, badRequest("empty body")
	}
	if r.ContentLength > v.maxBody {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrBodyTooLarge, r.ContentLength, v.maxBody)
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, v.maxBody+1))
	if err != nil {
		return nil, badRequest("read body: %v", err)
	}
	if int64(len(b)) > v.maxBody {
		return nil, fmt.Errorf("%w: limit %d bytes", ErrBodyTooLarge, v.maxBody)
	}
	if len(b) == 0 {
		return nil, badRequest("empty body")
	}
	return b, nil
}

// checkTime rejects a signed timestamp further than maxAge from now.
func (v *Verifier) checkTime(t time.Time) error {
	if v.maxAge < 0 {
		return nil
	}
	d := v.now().Sub(t)
	if d < 0 {
		d = -d
	}
	if d > v.maxAge {
		return fmt.Errorf("%w: %s is %s from now, limit %s",
			ErrStale, t.UTC().Format(time.RFC3339), d.Round(time.Second), v.maxAge)
	}
	return nil
}

// secretEqual compares two secrets in constant time. Hashing first keeps the
// comparison from leaking the expected secret's length.
func secretEqual(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}
