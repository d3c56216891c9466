package bounce

import "strings"

// classify turns a read message into a Result. The order matters: feedback
// reports and DSNs are recognised by structure, which is reliable; prose
// bounces by signals and wording; auto-replies last, because bounces carry
// auto-reply headers too.
func classify(m *message) *Result {
	res := &Result{Type: TypeNone, Subject: m.subject, From: m.from}
	res.DeliveredTo = deliveredTo(m)

	text := strings.Join(m.texts, "\n")
	notice, noticeLower, quoted := splitOriginal(text)
	if !m.hasOriginal && quoted != "" {
		m.setOriginal([]byte(strings.TrimLeft(quoted, "\r\n \t")))
	}
	res.original = m.original
	res.OriginalMessageID = messageID(m.original.get("Message-Id"))

	if complaint(m, res) {
		return res
	}
	if n, ok := sesEvent(text); ok {
		sesResult(n, res)
		return res
	}

	lines := noticeLines(notice)
	skip := m.skipper(res.DeliveredTo)

	var facts []fact
	if len(m.dsn) == 0 {
		facts = listServerFacts(m, notice, noticeLower)
	}
	switch {
	case len(facts) > 0:
	case len(m.dsn) > 0 || looksLikeDSNText(text):
		facts = dsnFacts(m, text, noticeLower, lines, skip)
		if len(facts) == 0 && m.isBounceLike(noticeLower) {
			facts = proseFacts(m, lines, noticeLower, skip)
		}
	case m.isAutoReplyOnly(noticeLower):
		res.Type = TypeAutoReply
		res.Recipients = []Recipient{{Address: m.from, Reason: ReasonVacation}}
		return res
	case m.isBounceLike(noticeLower):
		facts = proseFacts(m, lines, noticeLower, skip)
	}
	if len(facts) == 0 {
		if isAutoReply(m) {
			res.Type = TypeAutoReply
			res.Recipients = []Recipient{{Address: m.from, Reason: ReasonVacation}}
		}
		return res
	}
	res.Type, res.Recipients = summarise(facts)
	res.Delayed = res.Type == TypeBounce
	for _, r := range res.Recipients {
		res.Delayed = res.Delayed && r.Action == "delayed"
	}
	return res
}

// summarise decides the Type from the recipients' actions and keeps the
// recipients that matter for it: failed and delayed ones, or only the
// delayed ones of a delay notice.
func summarise(facts []fact) (Type, []Recipient) {
	rs := make([]Recipient, 0, len(facts))
	for _, f := range facts {
		rs = append(rs, f.finish())
	}
	failed, delayed := 0, 0
	for _, r := range rs {
		switch r.Action {
		case "failed":
			failed++
		case "delayed":
			delayed++
		}
	}
	var keep func(Recipient) bool
	t := TypeNone
	switch {
	case failed > 0:
		t = TypeBounce
		keep = func(r Recipient) bool { return r.Action == "failed" || r.Action == "delayed" }
	case delayed > 0:
		t = TypeBounce
		keep = func(r Recipient) bool { return r.Action == "delayed" }
	default:
		return TypeNone, rs
	}
	out := rs[:0]
	for _, r := range rs {
		if keep(r) {
			out = append(out, r)
		}
	}
	return t, out
}

// dsnFacts reads RFC 3464 reports, taking what the report leaves out (a
// missing Diagnostic-Code, the SMTP command) from the prose part.
func dsnFacts(m *message, text, noticeLower string, lines []string, skip func(string) bool) []fact {
	var rcpts []dsnRecipient
	for _, b := range m.dsn {
		rcpts = append(rcpts, parseDSN(b)...)
	}
	if len(rcpts) == 0 {
		// Report fields in a text part: a mislabelled report, or a bounce
		// forwarded as plain text.
		rcpts = parseDSN([]byte(text))
	}
	if len(rcpts) == 0 {
		return nil
	}
	// The report names the recipients for certain, even a postmaster@ one.
	listed := map[string]bool{}
	for _, r := range rcpts {
		listed[normAddr(r.final)], listed[normAddr(r.original)] = true, true
	}
	delete(listed, "")
	prose := map[string]fact{}
	for _, f := range scanNotice(lines, skip, listed) {
		prose[normAddr(f.addr)] = f
	}
	delay := m.isDelayNotice(noticeLower)
	facts := make([]fact, 0, len(rcpts))
	for _, r := range rcpts {
		f := fact{addr: r.address(), action: r.action, status: r.status, diag: r.diag, diagType: r.diagType,
			reason: powerMTACategories[r.category]}
		if f.action == "" {
			f.action = impliedAction(r.status, delay)
		}
		p, ok := prose[normAddr(r.final)]
		if !ok {
			p, ok = prose[normAddr(r.original)]
		}
		if !ok && len(rcpts) == 1 && len(prose) == 1 {
			for _, only := range prose {
				p, ok = only, true
			}
		}
		if ok {
			f.context = p.context
			if strings.TrimSpace(f.diag) == "" || !hasCode(f.diag) && hasCode(p.diag) {
				f.diag = strings.TrimSpace(p.diag + " " + f.diag)
			}
		}
		if len(rcpts) == 1 && strings.TrimSpace(r.diag) == "" && genericStatus(r.status) {
			// A report that gives neither a diagnostic nor a specific
			// status leaves the cause to the notice: its own words about
			// the failure count too.
			f.diag = strings.TrimSpace(f.diag + " " + explanation(lines))
		}
		facts = append(facts, f)
	}
	return facts
}

// impliedAction is the action of a DSN recipient without an Action field.
func impliedAction(status string, delay bool) string {
	switch {
	case strings.HasPrefix(status, "2."):
		return "delivered"
	case delay && !strings.HasPrefix(status, "5."):
		return "delayed"
	}
	return "failed"
}

func hasCode(s string) bool {
	r := findReply(s)
	return findErrorStatus(s) != "" || r != "" && r[0] != '2'
}

// proseFacts reads a bounce written as prose.
func proseFacts(m *message, lines []string, noticeLower string, skip func(string) bool) []fact {
	var facts []fact
	if failed := headerAddresses(m.header.Values("X-Failed-Recipients")); len(failed) > 0 {
		// The header names the failed addresses for certain, even one that
		// also looks like the sender's.
		listed := map[string]bool{}
		for _, a := range failed {
			listed[normAddr(a)] = true
		}
		facts = restrictTo(scanNotice(lines, skip, listed), failed)
	} else {
		facts = scanNotice(lines, skip, nil)
	}
	if len(facts) == 0 {
		// No address in the prose: the returned message says whom it was for.
		f := fact{context: strings.Join(lines, "\n")}
		f.diag = diagnosticIn(lines, 0, len(lines), mention{line: -1})
		if to := headerAddresses(m.original.values("To")); len(to) == 1 {
			f.addr = to[0]
		} else if len(to) == 0 && !m.hasOriginal && f.diag == "" {
			return nil
		}
		facts = []fact{f}
	}
	if len(facts) == 1 && facts[0].context == "" {
		// Only a header named the address: the whole notice is its block.
		facts[0].context = strings.Join(lines, "\n")
		facts[0].diag = diagnosticIn(lines, 0, len(lines), mention{line: -1})
	}
	action := "failed"
	if m.isDelayNotice(noticeLower) {
		action = "delayed"
	}
	groups := strings.Contains(noticeLower, "groups.google.com")
	for i := range facts {
		facts[i].action = action
		if groups && strings.HasSuffix(lowerASCII(facts[i].addr), "@googlegroups.com") {
			// Google Groups refuses posts from non-members in the
			// sender's language; the cause is always the sender.
			facts[i].reason = ReasonRejected
		}
		if facts[i].reason == "" && strings.TrimSpace(facts[i].diag) == "" {
			// A notice that names the address and nothing else: the
			// subject ("Returned mail: User unknown") is the diagnostic.
			facts[i].diag = m.subject
		}
	}
	return facts
}

// restrictTo keeps the facts for the listed addresses, in the list's order.
// A listed address the prose does not show takes the next unclaimed block
// (the prose may print the address differently, e.g. after rewriting), or
// a bare fact when none is left.
func restrictTo(facts []fact, addrs []string) []fact {
	byKey := map[string]int{}
	for i, f := range facts {
		byKey[normAddr(f.addr)] = i
	}
	used := make([]bool, len(facts))
	out := make([]fact, 0, len(addrs))
	addrs = dedupe(addrs)
	var missing []string
	for _, a := range addrs {
		if i, ok := byKey[normAddr(a)]; ok {
			used[i] = true
			out = append(out, facts[i])
			continue
		}
		missing = append(missing, a)
	}
	for _, a := range missing {
		f := fact{addr: a}
		for i := range facts {
			if !used[i] {
				used[i] = true
				f = facts[i]
				f.addr = a
				break
			}
		}
		out = append(out, f)
	}
	return out
}

// headerAddresses extracts the addresses of header values.
func headerAddresses(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, a := range findAddresses(decodeWords(v)) {
			out = append(out, a.addr)
		}
	}
	return out
}

// deliveredTo lists the addresses the notification was delivered to.
func deliveredTo(m *message) []string {
	var vs []string
	for _, k := range []string{"Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To"} {
		vs = append(vs, m.header.Values(k)...)
	}
	return dedupe(headerAddresses(vs))
}

// skipper returns the test for addresses that cannot be a failed
// recipient: whoever sent the returned message and whoever receives the
// notice, plus mail daemons.
func (m *message) skipper(deliveredTo []string) func(string) bool {
	not := map[string]bool{}
	add := func(as []string) {
		for _, a := range as {
			not[normAddr(a)] = true
		}
	}
	add(deliveredTo)
	add(headerAddresses(m.header.Values("Return-Path")))
	add(headerAddresses(m.header.Values("From")))
	add(headerAddresses(m.header.Values("Reply-To")))
	if m.hasOriginal {
		for _, k := range []string{"From", "Sender", "Return-Path", "Reply-To", "Errors-To"} {
			add(headerAddresses(m.original.values(k)))
		}
		not[normAddr(messageID(m.original.get("Message-Id")))] = true
	}
	return func(key string) bool {
		return not[key] || isDaemonAddress(key)
	}
}

// genericStatus reports a status that names no cause: none, or X.0.0.
func genericStatus(status string) bool {
	return status == "" || strings.HasSuffix(status, ".0.0")
}

// explanation is the notice's own prose: its lines that name no address.
func explanation(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		if strings.IndexByte(l, '@') >= 0 || strings.TrimSpace(l) == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strings.TrimSpace(l))
		if b.Len() > maxDiagnostic {
			break
		}
	}
	return b.String()
}
