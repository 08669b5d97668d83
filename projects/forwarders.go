package projects

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
)

// checkForwarders validates the [[forwarders]] tables: unique names, at least
// one detection pattern, patterns that compile, credit patterns with a
// "credit" group, and contacts that are mail addresses.
func (l *loader) checkForwarders(c *Config) {
	seen := map[string]int{}
	for i, f := range c.Forwarders {
		key := fmt.Sprintf("forwarders[%d]", i)
		switch name := strings.TrimSpace(f.Name); {
		case name == "":
			l.add(key+".name", "is required: name the broker, e.g. \"foundation-security\"")
		case !prefixRE.MatchString(name):
			l.add(key+".name", "must be one word of letters, digits, '.', '_' or '-', got %q", f.Name)
		default:
			if first, dup := seen[strings.ToLower(name)]; dup {
				l.add(key+".name", "repeats the forwarder name %q of forwarders[%d]", name, first)
			}
			seen[strings.ToLower(name)] = i
		}
		if strings.TrimSpace(f.SenderPattern) == "" && strings.TrimSpace(f.PreamblePattern) == "" {
			l.add(key, "needs sender_pattern or preamble_pattern to recognise relayed mail")
		}
		if f.RequireBoth && (strings.TrimSpace(f.SenderPattern) == "" || strings.TrimSpace(f.PreamblePattern) == "") {
			l.add(key+".require_both", "needs both sender_pattern and preamble_pattern")
		}
		l.regexp(key+".sender_pattern", f.SenderPattern, false)
		l.regexp(key+".preamble_pattern", f.PreamblePattern, false)
		for j, p := range f.CreditPatterns {
			l.regexp(fmt.Sprintf("%s.credit_patterns[%d]", key, j), p, true)
		}
		for j, p := range f.ToolHints {
			l.regexp(fmt.Sprintf("%s.tool_hints[%d]", key, j), p, false)
		}
		for j, p := range f.ServiceHints {
			l.regexp(fmt.Sprintf("%s.service_hints[%d]", key, j), p, false)
		}
		if len(f.Contacts) == 0 {
			l.add(key+".contacts", "is required: relayed replies are drafted to the forwarder's contact, never to the relay address")
		}
		for j, ct := range f.Contacts {
			if a, err := mail.ParseAddress(ct); err != nil || a.Address == "" {
				l.add(fmt.Sprintf("%s.contacts[%d]", key, j), "must be a mail address such as \"Jane Doe <jane@foundation.example>\", got %q", ct)
			}
		}
	}
}

// regexp checks that a pattern compiles ("" is an unset key); a credit
// pattern must have a named group "credit".
func (l *loader) regexp(key, p string, credit bool) {
	if p == "" && !credit {
		return
	}
	re, err := regexp.Compile(p)
	if err != nil {
		l.add(key, "is not a valid regular expression: %v", err)
		return
	}
	if credit && re.SubexpIndex("credit") < 0 {
		l.add(key, "must have a named group (?P<credit>...) that captures the reporter's credit, got %q", p)
	}
}
