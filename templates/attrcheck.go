package templates

import (
	"fmt"
	"sort"
	"strings"
)

// Audience is what is known about the recipients of an issue's attributes:
// how many recipients there are and, per attribute name, how many of them
// have a non-empty value. The store counts it in one query; templates
// only compares.
type Audience struct {
	Name       string         // the list, for messages
	Recipients int            // people who would get the issue
	Present    map[string]int // attribute name → recipients with a non-empty value
}

// maxNamesShown bounds the attribute names a check lists.
const maxNamesShown = 12

// CheckAttrs compares the attributes the issue prints with the audience:
//
//   - an attribute without a fallback that no recipient has is an error:
//     everyone would get an empty string, most likely from a misspelt
//     name, so the check suggests the nearest known name;
//   - one that some recipients lack is a warning, with the count;
//   - one with a fallback that no recipient has is a warning: everyone
//     gets the fallback, which is rarely meant.
//
// Every check names the attributes the audience has.
func (c *Compiled) CheckAttrs(a Audience) []Check {
	if a.Recipients <= 0 {
		return nil
	}
	var cs checks
	for _, u := range c.attrs {
		have := min(a.Present[u.Name], a.Recipients)
		missing := a.Recipients - have
		switch {
		case missing == 0:
		case have == 0 && !u.Fallback:
			cs.errorf(u.File, u.Line, "%s is empty for all %s%s. %s Fix the name, or give a default: %s",
				attrExample(u.Name), recipients(a.Recipients), ofList(a.Name), known(u.Name, a.Present), attrDefaultExample(u.Name))
		case have == 0:
			cs.warnf(u.File, u.Line, "%s is empty for all %s%s, so everyone gets its default. %s",
				attrExample(u.Name), recipients(a.Recipients), ofList(a.Name), known(u.Name, a.Present))
		case !u.Fallback:
			cs.warnf(u.File, u.Line, "%s is empty for %d of %s%s: they get an empty string there. Give a default (%s) or fill the attribute in. Attributes on the list: %s.",
				attrExample(u.Name), missing, recipients(a.Recipients), ofList(a.Name), attrDefaultExample(u.Name), namesWithCounts(a.Present))
		}
	}
	return cs
}

// Advisory returns checks with their errors turned into warnings that say
// a send would refuse them, for commands that show an issue (render,
// preview) rather than send it.
func Advisory(cs []Check) []Check {
	out := make([]Check, len(cs))
	for i, c := range cs {
		if c.Severity == SeverityError {
			c.Severity = SeverityWarning
			c.Message += " (send refuses this)"
		}
		out[i] = c
	}
	return out
}

func recipients(n int) string {
	if n == 1 {
		return "1 recipient"
	}
	return fmt.Sprintf("%d recipients", n)
}

func ofList(name string) string {
	if name == "" {
		return ""
	}
	return " of " + name
}

func attrDefaultExample(name string) string {
	return `{{ .Attr "` + name + `" | default "…" }}`
}

// known says which attributes the recipients have, suggesting the nearest
// to name when it looks like a typo.
func known(name string, present map[string]int) string {
	if len(present) == 0 {
		return "No recipient has any attributes."
	}
	var b strings.Builder
	allowed := make(map[string]bool, len(present))
	for k := range present {
		allowed[k] = true
	}
	if s := suggest(name, allowed); s != "" {
		fmt.Fprintf(&b, "Did you mean %q? ", s)
	}
	b.WriteString("Attributes on the list: ")
	b.WriteString(namesWithCounts(present))
	b.WriteString(".")
	return b.String()
}

// namesWithCounts lists attribute names with how many recipients have
// each, most common first, at most maxNamesShown of them.
func namesWithCounts(present map[string]int) string {
	if len(present) == 0 {
		return "none"
	}
	names := make([]string, 0, len(present))
	for k := range present {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if present[names[i]] != present[names[j]] {
			return present[names[i]] > present[names[j]]
		}
		return names[i] < names[j]
	})
	more := len(names) - maxNamesShown
	if more > 0 {
		names = names[:maxNamesShown]
	}
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s (%d)", n, present[n])
	}
	s := strings.Join(parts, ", ")
	if more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}
