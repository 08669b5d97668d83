package fakegithub

import (
	"net/http"
	"sort"
	"strings"
	"unicode"
)

// searchQuery is a parsed issue-search query. Only the qualifiers the adapter
// sends are understood; anything else is a 422, so adapter drift shows up.
type searchQuery struct {
	repo    string
	kind    string // "issue", "pr" or ""
	state   string // "open", "closed", "merged" or ""
	inTitle bool
	inBody  bool
	terms   []string // normalised token sequences
}

func parseSearch(q string) (searchQuery, string) {
	sq := searchQuery{inTitle: true, inBody: true}
	for _, tok := range splitQuery(q) {
		if strings.HasPrefix(tok, `"`) {
			if t := normaliseTokens(strings.Trim(tok, `"`)); t != "" {
				sq.terms = append(sq.terms, t)
			}
			continue
		}
		name, val, isQual := strings.Cut(tok, ":")
		if !isQual {
			if t := normaliseTokens(tok); t != "" {
				sq.terms = append(sq.terms, t)
			}
			continue
		}
		switch name {
		case "repo":
			sq.repo = strings.ToLower(val)
		case "is":
			switch val {
			case "issue", "pr":
				sq.kind = val
			case "open", "closed", "merged":
				sq.state = val
			default:
				return sq, "unsupported qualifier is:" + val
			}
		case "in":
			sq.inTitle, sq.inBody = false, false
			for _, f := range strings.Split(val, ",") {
				switch f {
				case "title":
					sq.inTitle = true
				case "body":
					sq.inBody = true
				default:
					return sq, "unsupported qualifier in:" + f
				}
			}
		default:
			return sq, "unsupported qualifier " + name + ":"
		}
	}
	return sq, ""
}

// splitQuery splits on spaces outside double quotes; quoted phrases keep their quotes.
func splitQuery(q string) []string {
	var out []string
	var cur strings.Builder
	inQuote := false
	for _, r := range q {
		switch {
		case r == '"':
			cur.WriteRune(r)
			if inQuote {
				out = append(out, cur.String())
				cur.Reset()
			}
			inQuote = !inQuote
		case r == ' ' && !inQuote:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// normaliseTokens approximates GitHub's tokenizer: letters and digits form
// tokens, everything else separates them; matching is case-insensitive.
func normaliseTokens(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
}

func containsTokens(text, phrase string) bool {
	return strings.Contains(" "+normaliseTokens(text)+" ", " "+phrase+" ")
}

func (sq searchQuery) matches(is *issue) bool {
	if is.unindexed {
		return false
	}
	if sq.repo != "" && strings.ToLower(is.repo.fullName()) != sq.repo {
		return false
	}
	switch sq.kind {
	case "issue":
		if is.pr != nil {
			return false
		}
	case "pr":
		if is.pr == nil {
			return false
		}
	}
	switch sq.state {
	case "open", "closed":
		if is.state != sq.state {
			return false
		}
	case "merged":
		if is.pr == nil || !is.pr.merged {
			return false
		}
	}
	for _, t := range sq.terms {
		if !(sq.inTitle && containsTokens(is.title, t)) && !(sq.inBody && containsTokens(is.body, t)) {
			return false
		}
	}
	return true
}

func (s *Server) searchIssues(w http.ResponseWriter, r *http.Request, _ map[string]string, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := r.URL.Query().Get("q")
	if strings.TrimSpace(q) == "" {
		writeValidation(w, "Search", "q", "missing")
		return
	}
	if len(q) > 256 {
		writeValidation(w, "Search", "q", "too_long")
		return
	}
	sq, bad := parseSearch(q)
	if bad != "" {
		writeValidation(w, "Search", "q", bad)
		return
	}
	var hits []*issue
	for _, rp := range s.repos {
		for _, is := range rp.issues {
			if sq.matches(is) {
				hits = append(hits, is)
			}
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if !hits[i].createdAt.Equal(hits[j].createdAt) {
			return hits[i].createdAt.After(hits[j].createdAt)
		}
		return hits[i].id > hits[j].id
	})
	page, ok := s.paginate(w, r, len(hits))
	if !ok {
		return
	}
	items := []any{}
	for _, is := range hits[page.start:page.end] {
		it := s.issueJSON(is)
		it["score"] = 1.0
		items = append(items, it)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"total_count": len(hits), "incomplete_results": false, "items": items, "search_type": "lexical",
	})
}
