package templates

import (
	"fmt"
	"html/template"
	"net/mail"
	"strings"
	"time"
)

// Compiled is an issue ready to send: Markdown converted, layout applied,
// CSS inlined and the text part generated, all once. It is immutable and
// safe for concurrent use; Render fills in one recipient.
type Compiled struct {
	ID        string
	Path      string
	Subject   string // template source; Render personalises it
	From      string // From header, "" when neither the issue nor Config sets one
	Preheader string // template source
	Title     string
	Date      time.Time
	Warnings  []Check
	// TrackClicks is the issue's track_clicks: front matter; "" for none.
	TrackClicks string

	html    part
	text    part
	subject part
	attrs   []AttrUse
}

// Compile converts, lays out, inlines and checks an issue. When any check
// is an error it returns a *CheckError holding every check; warnings of a
// successful compile are in Compiled.Warnings.
func Compile(is *Issue, cfg Config) (*Compiled, error) {
	var cs checks
	file := is.Path
	if file == "" {
		file = "issue"
	}
	listName := checkRequired(&cs, is, cfg, file)
	from, fromName := fromHeader(&cs, is, cfg)

	layoutFile, layoutSrc, err := layoutSource(is, cfg)
	if err != nil {
		cs.errorf(layoutFile, 0, "%v", err)
	}
	slots := newSlotTable(is.Body, is.Subject, is.Preheader, string(layoutSrc), cfg.PostalAddress, cfg.ListName, cfg.FromName)

	sources := []sourceTree{
		{file, parseChecked(&cs, file, is.SubjectLine, is.Subject, recipientFields, "the subject")},
		{file, parseChecked(&cs, file, is.PreheaderLine, is.Preheader, recipientFields, "the preheader")},
		{file, parseChecked(&cs, file, is.BodyLine, is.Body, recipientFields, "the issue body")},
	}
	var lay *layout
	if layoutSrc != nil {
		lay = prepareLayout(&cs, layoutFile, string(layoutSrc), slots)
	}
	if cs.failed() {
		return nil, cs.err()
	}

	subject := slots.protect(is.Subject, originSubject, is.SubjectLine)
	preheader := slots.protect(is.Preheader, originPreheader, is.PreheaderLine)
	md := slots.protect(is.Body, originBody, max(is.BodyLine, 1))
	b, err := convertBody(&cs, file, max(is.BodyLine, 1), []byte(md), slots)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", file, err)
	}
	title := b.title
	if title == "" {
		title = subject
	}
	data := pageData(is, cfg, b.html, title, listName, fromName)
	data.Subject, data.Preheader = subject, preheader
	page, ok := lay.execute(&cs, data)
	if !ok {
		return nil, cs.err()
	}
	inlined, err := inlineCSS(page)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", file, err)
	}
	checkUnsubscribeLink(&cs, layoutFile, inlined, append(lay.unsub, bodyUnsubscribeSentinels(slots)...))

	htmlSrc := restoreHTML(&cs, slots, inlined, file, layoutFile)
	textSrc := slots.restore(neutralize(textPart(b.text, title, is.Date, listName, cfg, slots)), nil)
	if cs.failed() {
		return nil, cs.err()
	}

	c := &Compiled{
		ID:          is.ID,
		Path:        is.Path,
		Subject:     is.Subject,
		From:        from,
		Preheader:   is.Preheader,
		Title:       slots.restore(title, nil),
		Date:        is.Date,
		TrackClicks: is.TrackClicks,
	}
	if err := c.build(htmlSrc, textSrc, is.Subject); err != nil {
		cs.errorf(file, 0, "%v", err)
		return nil, cs.err()
	}
	locateAttrs(c.attrs, append(sources, sourceTree{layoutFile, parseSource(layoutFile, string(layoutSrc))}))
	if err := c.checkSample(&cs, file); err != nil {
		return nil, err
	}
	return c, nil
}

// pageData is what the layout shows around the body's HTML.
func pageData(is *Issue, cfg Config, html, title, listName, fromName string) layoutData {
	return layoutData{
		Content:       template.HTML(html),
		Title:         title,
		Date:          formatDate(is.Date),
		Time:          is.Date,
		PostalAddress: cfg.PostalAddress,
		PostalLines:   postalLines(cfg.PostalAddress),
		ListName:      listName,
		FromName:      fromName,
		WebVersion:    cfg.WebVersion,
		ID:            is.ID,
	}
}

// checkRequired checks what every issue needs: a postal address, a list
// name (else a warning and a stand-in) and a subject. It returns the list
// name the footer uses.
func checkRequired(cs *checks, is *Issue, cfg Config, file string) string {
	if strings.TrimSpace(cfg.PostalAddress) == "" {
		cs.configError("PostalAddress", "no postal address: every issue must show the sender's postal address")
	}
	listName := strings.TrimSpace(cfg.ListName)
	if listName == "" {
		listName = "this newsletter"
		cs.warnf("config", 0, "no list name: the footer will say \"you subscribed to %s\"", listName)
	}
	if strings.TrimSpace(is.Subject) == "" {
		cs.errorf(file, max(is.SubjectLine, 1), "the issue has no subject")
	}
	return listName
}

// restoreHTML puts the placeholders back into the inlined HTML, reporting
// any that inlining dropped or copied.
func restoreHTML(cs *checks, slots *slotTable, inlined, file, layoutFile string) string {
	seen := make([]int, len(slots.slots))
	htmlSrc := slots.restore(neutralize(inlined), seen)
	for i, s := range slots.slots {
		if s.origin == originBody && seen[i] == 0 {
			cs.errorf(file, s.line, "placeholder %s disappeared from the HTML; actions between table tags or inside HTML comments are dropped", s.action)
		}
		if s.origin == originRaw && seen[i] != 1 {
			cs.errorf(layoutFile, 0, "conditional comment %s appears %d times after inlining, want once; call mso/msoIf/notMso inside an element (body, div, td), not between table tags", s.action, seen[i])
		}
	}
	return htmlSrc
}

// checkSample renders the sample recipient, checks the size of the result
// and keeps the warnings; an error returned is the CheckError.
func (c *Compiled) checkSample(cs *checks, file string) error {
	sample, err := c.Render(SampleRecipient())
	if err != nil {
		cs.errorf(file, 0, "render the sample recipient: %v", err)
		return cs.err()
	}
	checkSize(cs, file, len(sample.HTML))
	if err := cs.err(); err != nil {
		return err
	}
	c.Warnings = cs.warnings()
	return nil
}

// fromHeader picks the From header (the issue's, else Config.From) and the
// sender's display name.
func fromHeader(cs *checks, is *Issue, cfg Config) (from, name string) {
	from = is.From
	if from == "" {
		from = cfg.From
	}
	name = cfg.FromName
	if from == "" {
		return "", name
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		cs.errorf("config", 0, "sender.from %q is not an email address: %v", from, err)
		return from, name
	}
	if addr.Name == "" && cfg.FromName != "" {
		addr.Name = cfg.FromName
		return addr.String(), name
	}
	if name == "" {
		name = addr.Name
	}
	return from, name
}

func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("January 2, 2006")
}

func bodyUnsubscribeSentinels(slots *slotTable) []string {
	var out []string
	for i, s := range slots.slots {
		if s.origin == originBody && strings.Contains(s.action, "UnsubscribeURL") {
			out = append(out, slots.sentinel(i))
		}
	}
	return out
}

// textPart assembles the plain-text alternative around the body text: the
// title and date on top, the reason, unsubscribe URL, manage URL (when the
// recipient has one) and postal address at the bottom.
func textPart(bodyText, title string, date time.Time, listName string, cfg Config, slots *slotTable) string {
	var b strings.Builder
	head := wrap(strings.ToUpper(strings.TrimSpace(title)), textWidth, slots.measure)
	longest := 0
	for _, l := range head {
		longest = max(longest, slots.measure(l))
	}
	b.WriteString(strings.Join(head, "\n"))
	b.WriteString("\n" + strings.Repeat("=", longest) + "\n")
	if d := formatDate(date); d != "" {
		b.WriteString(d + "\n")
	}
	if cfg.WebVersion {
		b.WriteString("\nView this email in your browser: " + slots.add("{{ .WebURL }}", originFooter, 0) + "\n")
	}
	b.WriteString("\n")
	if bodyText != "" {
		b.WriteString(bodyText)
		b.WriteString("\n\n")
	}
	b.WriteString("-- \n")
	reason := "You are receiving this email because you subscribed to " + listName + " as " + slots.add("{{ .Email }}", originFooter, 0) + "."
	b.WriteString(strings.Join(wrap(reason, textWidth, slots.measure), "\n"))
	b.WriteString("\nUnsubscribe: " + slots.add("{{ .UnsubscribeURL }}", originFooter, 0) + "\n")
	// A recipient without a preference centre (no ManageURL) gets no line
	// that leads nowhere.
	b.WriteString(slots.add("{{ if .ManageURL }}Manage your subscription: {{ .ManageURL }}\n{{ end }}", originFooter, 0) + "\n")
	for _, l := range postalLines(cfg.PostalAddress) {
		b.WriteString(l + "\n")
	}
	return b.String()
}
