package projects

import (
	"net/mail"
	"reflect"
	"slices"
	"strings"
)

// HasRole reports whether the member holds the roster role.
func (m Member) HasRole(role string) bool { return slices.Contains(m.Roles, role) }

// MemberByEmail finds the roster member owning an address (case-insensitive;
// "Name <addr>" forms are accepted).
func (c *Config) MemberByEmail(email string) (Member, bool) {
	addr := bareAddress(email)
	if addr == "" {
		return Member{}, false
	}
	for _, m := range c.Roster {
		for _, e := range m.Emails {
			if strings.EqualFold(e, addr) {
				return m, true
			}
		}
	}
	return Member{}, false
}

// MemberByHandle finds the roster member with a GitHub handle
// (case-insensitive, a leading "@" ignored).
func (c *Config) MemberByHandle(handle string) (Member, bool) {
	h := strings.TrimPrefix(strings.TrimSpace(handle), "@")
	if h == "" {
		return Member{}, false
	}
	for _, m := range c.Roster {
		if strings.EqualFold(m.Handle, h) {
			return m, true
		}
	}
	return Member{}, false
}

// IsTeamEmail reports whether a sender is the project itself: a roster
// member's address or one of the project's own lists (security, private,
// users, announce, dev). The foundation security address is deliberately not
// included: it relays external reports, whose sender is the real reporter.
// Deciding who counts as the security team for instructions is a different
// question, answered by the tracker's collaborators (spec/intake.md §0).
func (c *Config) IsTeamEmail(email string) bool {
	if _, ok := c.MemberByEmail(email); ok {
		return true
	}
	addr := bareAddress(email)
	if addr == "" {
		return false
	}
	for _, l := range []string{c.Lists.Security, c.Lists.Private, c.Lists.Users, c.Lists.Announce, c.Lists.Dev} {
		if l != "" && strings.EqualFold(l, addr) {
			return true
		}
	}
	return false
}

// Triagers returns the roster members with the triager role, in roster order.
func (c *Config) Triagers() []Member {
	var out []Member
	for _, m := range c.Roster {
		if m.HasRole(RoleTriager) {
			out = append(out, m)
		}
	}
	return out
}

// LabelRoles maps each label role (the keys of [labels], e.g. "needs_triage")
// to its literal label (e.g. "needs triage"). Scope labels are not roles; see
// ScopeLabels.
func (c *Config) LabelRoles() map[string]string {
	out := map[string]string{}
	v := reflect.ValueOf(c.Labels)
	for i := range v.NumField() {
		if name := tomlName(v.Type().Field(i)); name != "" {
			out[name] = v.Field(i).String()
		}
	}
	return out
}

// ScopeLabels returns the scope labels in configuration order.
func (c *Config) ScopeLabels() []string {
	out := make([]string, 0, len(c.Scopes))
	for _, s := range c.Scopes {
		out = append(out, s.Label)
	}
	return out
}

// ScopeByLabel finds a scope by its label (case-insensitive, as label matching is).
func (c *Config) ScopeByLabel(label string) (Scope, bool) {
	for _, s := range c.Scopes {
		if strings.EqualFold(s.Label, label) {
			return s, true
		}
	}
	return Scope{}, false
}

// ColumnName returns the board column name of a column role (the Column*
// constants), falling back to the default name; "" for an unknown role.
func (c *Config) ColumnName(role string) string {
	if name := c.Board.Columns[role]; name != "" {
		return name
	}
	return columnDefaults()[role]
}

// bareAddress extracts the lower-case addr-spec of "a@b" or "Name <a@b>".
func bareAddress(s string) string {
	s = strings.TrimSpace(s)
	if a, err := mail.ParseAddress(s); err == nil {
		return strings.ToLower(a.Address)
	}
	if strings.Contains(s, "@") && !strings.ContainsAny(s, " <>") {
		return strings.ToLower(s)
	}
	return ""
}
