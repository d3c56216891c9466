package webhook

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// snsMessage is the JSON body SNS posts to an HTTPS subscriber.
// https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
type snsMessage struct {
	Type             string  `json:"Type"`
	MessageID        string  `json:"MessageId"`
	Token            string  `json:"Token"`
	TopicArn         string  `json:"TopicArn"`
	Subject          *string `json:"Subject"` // signed only when present
	Message          string  `json:"Message"`
	Timestamp        string  `json:"Timestamp"`
	SignatureVersion string  `json:"SignatureVersion"`
	Signature        string  `json:"Signature"`
	SigningCertURL   string  `json:"SigningCertURL"`
	SubscribeURL     string  `json:"SubscribeURL"`
}

// snsHostRE matches the hosts SNS serves signing certificates and
// subscription URLs from, capturing the region. Anything else is refused
// before any request, so a forged message cannot make us fetch (or trust)
// an arbitrary URL.
var snsHostRE = regexp.MustCompile(`^sns\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$`)

// topicARNRE matches an SNS topic ARN, capturing the region.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
var topicARNRE = regexp.MustCompile(`^arn:aws(-cn|-us-gov|-iso|-iso-[a-z])?:sns:([a-z0-9-]+):[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)

// CheckTopicARN reports whether arn is an SNS topic ARN, which
// SESConfig.TopicARNs must hold.
func CheckTopicARN(arn string) error {
	_, err := topicRegion(arn)
	return err
}

// topicRegion returns the region of an SNS topic ARN.
func topicRegion(arn string) (string, error) {
	m := topicARNRE.FindStringSubmatch(arn)
	if m == nil {
		return "", fmt.Errorf("topic %q is not an SNS topic ARN like arn:aws:sns:us-east-1:123456789012:bounces", arn)
	}
	return m[2], nil
}

// certPathRE is the path of an SNS signing certificate.
var certPathRE = regexp.MustCompile(`^/SimpleNotificationService-[A-Za-z0-9_-]+\.pem$`)

// checkSNSURL parses raw and accepts only https://sns.<region>.amazonaws.com
// (or .com.cn) with no port or userinfo, in the topic's region: SNS signs
// and confirms from the region the topic lives in.
func checkSNSURL(raw, region string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, unauthorized("sns url %q: %v", raw, err)
	}
	if u.Scheme != "https" || u.User != nil || u.Port() != "" {
		return nil, unauthorized("sns url %q is not an https amazonaws.com sns host", raw)
	}
	m := snsHostRE.FindStringSubmatch(u.Host)
	if m == nil {
		return nil, unauthorized("sns url %q is not an https amazonaws.com sns host", raw)
	}
	if m[1] != region {
		return nil, unauthorized("sns url %q is not in the topic's region %s", raw, region)
	}
	return u, nil
}

func (v *Verifier) handleSNS(ctx context.Context, r *http.Request) (Result, error) {
	body, err := v.readBody(r)
	if err != nil {
		return Result{}, err
	}
	var m snsMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return Result{}, badRequest("decode sns message: %v", err)
	}
	if m.Type == "" || m.Signature == "" || m.SigningCertURL == "" {
		// A raw SES payload (raw message delivery on) lands here.
		return Result{}, unauthorized("unsigned sns message (is raw message delivery on?)")
	}
	if err := v.verifySNS(ctx, &m); err != nil {
		return Result{}, err
	}

	switch m.Type {
	case "Notification":
		events, err := v.parseSES(m.Message, m.MessageID)
		if err != nil {
			return Result{}, err
		}
		return Result{Events: events}, nil
	case SNSSubscriptionConfirmation:
		sub, err := v.confirmSNS(ctx, &m)
		if err != nil {
			return Result{}, err
		}
		return Result{Subscription: sub}, nil
	default: // UnsubscribeConfirmation; verifySNS rejected other types
		return Result{Subscription: &Subscription{
			Type: m.Type, TopicARN: m.TopicArn, SubscribeURL: m.SubscribeURL,
		}}, nil
	}
}

// verifySNS checks, cheapest first: topic, certificate URL, timestamp, then
// the signature against the (cached) certificate.
func (v *Verifier) verifySNS(ctx context.Context, m *snsMessage) error {
	// Nothing is fetched before the topic and the certificate URL pass.
	if !v.topics[m.TopicArn] {
		return unauthorized("sns topic %q is not in webhooks.ses.topic_arns", m.TopicArn)
	}
	region, err := topicRegion(m.TopicArn)
	if err != nil {
		return unauthorized("%v", err)
	}
	certURL, err := checkSNSURL(m.SigningCertURL, region)
	if err != nil {
		return err
	}
	if !certPathRE.MatchString(certURL.Path) || certURL.RawQuery != "" || certURL.Fragment != "" {
		return unauthorized("sns signing cert url %q is not a SimpleNotificationService-*.pem", m.SigningCertURL)
	}
	signed, err := m.stringToSign()
	if err != nil {
		return err
	}
	ts := parseTime(m.Timestamp)
	if ts.IsZero() {
		return badRequest("sns timestamp %q", m.Timestamp)
	}
	if err := v.checkTime(ts); err != nil {
		return err
	}

	var (
		hash   crypto.Hash
		digest []byte
	)
	switch m.SignatureVersion {
	case "1":
		sum := sha1.Sum([]byte(signed))
		hash, digest = crypto.SHA1, sum[:]
	case "2":
		sum := sha256.Sum256([]byte(signed))
		hash, digest = crypto.SHA256, sum[:]
	default:
		return unauthorized("sns signature version %q", m.SignatureVersion)
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil {
		return unauthorized("sns signature encoding: %v", err)
	}
	pub, err := v.snsKey(ctx, certURL)
	if err != nil {
		return err
	}
	if err := rsa.VerifyPKCS1v15(pub, hash, digest, sig); err != nil {
		return unauthorized("sns signature does not match")
	}
	return nil
}

// stringToSign builds the canonical string SNS signs: "Name\nvalue\n" for
// each documented field of the message type, in byte order of the names.
// https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html
func (m *snsMessage) stringToSign() (string, error) {
	var b strings.Builder
	add := func(name, value string) {
		b.WriteString(name)
		b.WriteByte('\n')
		b.WriteString(value)
		b.WriteByte('\n')
	}
	switch m.Type {
	case "Notification":
		add("Message", m.Message)
		add("MessageId", m.MessageID)
		if m.Subject != nil {
			add("Subject", *m.Subject)
		}
		add("Timestamp", m.Timestamp)
		add("TopicArn", m.TopicArn)
		add("Type", m.Type)
	case SNSSubscriptionConfirmation, SNSUnsubscribeConfirmation:
		add("Message", m.Message)
		add("MessageId", m.MessageID)
		add("SubscribeURL", m.SubscribeURL)
		add("Timestamp", m.Timestamp)
		add("Token", m.Token)
		add("TopicArn", m.TopicArn)
		add("Type", m.Type)
	default:
		return "", badRequest("sns message type %q", m.Type)
	}
	return b.String(), nil
}

// confirmSNS confirms a verified subscription by fetching its SubscribeURL,
// if AutoConfirm is on.
func (v *Verifier) confirmSNS(ctx context.Context, m *snsMessage) (*Subscription, error) {
	sub := &Subscription{Type: m.Type, TopicARN: m.TopicArn, SubscribeURL: m.SubscribeURL}
	region, err := topicRegion(m.TopicArn)
	if err != nil {
		return nil, unauthorized("%v", err)
	}
	u, err := checkSNSURL(m.SubscribeURL, region)
	if err != nil {
		return nil, err
	}
	// The URL is signed, but confirm nothing but this topic's subscription.
	if q := u.Query(); q.Get("Action") != "ConfirmSubscription" || q.Get("TopicArn") != m.TopicArn {
		return nil, unauthorized("sns subscribe url %q does not confirm topic %s", m.SubscribeURL, m.TopicArn)
	}
	if !v.cfg.SES.AutoConfirm {
		return sub, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("confirm sns subscription: %w", err)
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("confirm sns subscription: %w", err)
	}
	defer resp.Body.Close()
	// Drain a little so the connection can be reused; the XML reply holds
	// only the subscription ARN.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxConfirmBodyBytes))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("confirm sns subscription: %s", resp.Status)
	}
	sub.Confirmed = true
	return sub, nil
}
