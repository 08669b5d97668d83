package deduplicate

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The Affected versions rule of a merge (spec/intake.md §11.4): widen to the
// lowest lower bound and the highest upper bound of the two values when both
// parse as version ranges; otherwise the agent gives the merged value.
//
// A value parses when it is, after stripping surrounding backticks and an
// optional leading product word ("helm-chart >= 1.6.0, <= 1.8.2"):
//   - a list of versions ("2.4.0, 2.4.1", or one version), or
//   - a range of at most one lower bound (>= or >) and at most one upper bound
//     (<= or <), comma-separated (">= 2.3.0, < 2.4.2", "< 3.0").
//
// Two lists widen to their sorted union (a list names exactly the affected
// releases, so nothing between them is claimed). Otherwise each list counts as
// the range from its lowest to its highest version, and the result is the
// range from the lower of the lower bounds to the higher of the upper bounds;
// at equal versions the inclusive bound wins, and a side without a bound leaves
// the result without it. Versions compare numerically part by part ("2.10" >
// "2.9", "2.4" == "2.4.0"); a pre-release suffix sorts before its release
// ("3.0.0-rc1" < "3.0.0").

type version struct {
	raw  string
	nums []int
	pre  string
}

var versionRE = regexp.MustCompile(`^[vV]?(\d+(?:\.\d+)*)(?:[-+.]?([0-9A-Za-z][0-9A-Za-z.+-]*))?$`)

func parseVersion(s string) (version, bool) {
	m := versionRE.FindStringSubmatch(s)
	if m == nil {
		return version{}, false
	}
	v := version{raw: s, pre: m[2]}
	for _, p := range strings.Split(m[1], ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return version{}, false
		}
		v.nums = append(v.nums, n)
	}
	return v, true
}

func compareVersions(a, b version) int {
	for i := 0; i < len(a.nums) || i < len(b.nums); i++ {
		x, y := 0, 0
		if i < len(a.nums) {
			x = a.nums[i]
		}
		if i < len(b.nums) {
			y = b.nums[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case a.pre == b.pre:
		return 0
	case a.pre == "":
		return 1
	case b.pre == "":
		return -1
	}
	return strings.Compare(a.pre, b.pre)
}

type bound struct {
	v    version
	incl bool
	set  bool
}

// versionRange is a parsed Affected versions value: a list (exact) or bounds.
type versionRange struct {
	prefix string
	exact  []version
	lo, hi bound
}

var (
	constraintRE = regexp.MustCompile(`^(>=|<=|>|<|==|=)?\s*(\S+)$`)
	prefixRE     = regexp.MustCompile(`^([A-Za-z][\w.-]*)\s+(.+)$`)
)

func parseRange(s string) (versionRange, bool) {
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), "`"))
	var r versionRange
	if m := prefixRE.FindStringSubmatch(s); m != nil {
		if _, isVersion := parseVersion(m[1]); !isVersion {
			r.prefix, s = m[1], m[2]
		}
	}
	if s == "" {
		return r, false
	}
	var bare, ops int
	for _, item := range strings.Split(s, ",") {
		m := constraintRE.FindStringSubmatch(strings.TrimSpace(item))
		if m == nil {
			return r, false
		}
		v, ok := parseVersion(m[2])
		if !ok {
			return r, false
		}
		switch m[1] {
		case "", "=", "==":
			bare++
			r.exact = append(r.exact, v)
		case ">=", ">":
			if r.lo.set {
				return r, false
			}
			ops++
			r.lo = bound{v: v, incl: m[1] == ">=", set: true}
		case "<=", "<":
			if r.hi.set {
				return r, false
			}
			ops++
			r.hi = bound{v: v, incl: m[1] == "<=", set: true}
		}
	}
	if bare > 0 && ops > 0 {
		return r, false // "2.4.0, < 2.5": neither a list nor a range
	}
	return r, true
}

// asBounds turns a list into the range from its lowest to its highest version.
func (r versionRange) asBounds() (lo, hi bound) {
	if len(r.exact) == 0 {
		return r.lo, r.hi
	}
	lo = bound{v: r.exact[0], incl: true, set: true}
	hi = lo
	for _, v := range r.exact[1:] {
		if compareVersions(v, lo.v) < 0 {
			lo.v = v
		}
		if compareVersions(v, hi.v) > 0 {
			hi.v = v
		}
	}
	return lo, hi
}

// WidenVersions merges two Affected versions values; ok is false when either
// does not parse or their product words differ (the agent decides then). An
// empty side yields the other side unchanged.
func WidenVersions(a, b string) (string, bool) {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	switch {
	case a == "":
		return b, true
	case b == "":
		return a, true
	}
	ra, okA := parseRange(a)
	rb, okB := parseRange(b)
	if !okA || !okB || !strings.EqualFold(ra.prefix, rb.prefix) {
		return "", false
	}
	out := ""
	if len(ra.exact) > 0 && len(rb.exact) > 0 {
		all := append(append([]version{}, ra.exact...), rb.exact...)
		slices.SortStableFunc(all, compareVersions)
		all = slices.CompactFunc(all, func(x, y version) bool { return compareVersions(x, y) == 0 })
		raws := make([]string, len(all))
		for i, v := range all {
			raws[i] = v.raw
		}
		out = strings.Join(raws, ", ")
	} else {
		loA, hiA := ra.asBounds()
		loB, hiB := rb.asBounds()
		lo := lower(loA, loB)
		hi := upper(hiA, hiB)
		var parts []string
		if lo.set {
			parts = append(parts, map[bool]string{true: ">= ", false: "> "}[lo.incl]+lo.v.raw)
		}
		if hi.set {
			parts = append(parts, map[bool]string{true: "<= ", false: "< "}[hi.incl]+hi.v.raw)
		}
		out = strings.Join(parts, ", ")
	}
	if ra.prefix != "" {
		out = ra.prefix + " " + out
	}
	return out, true
}

func lower(a, b bound) bound {
	if !a.set || !b.set {
		return bound{}
	}
	switch c := compareVersions(a.v, b.v); {
	case c < 0:
		return a
	case c > 0:
		return b
	}
	a.incl = a.incl || b.incl
	return a
}

func upper(a, b bound) bound {
	if !a.set || !b.set {
		return bound{}
	}
	switch c := compareVersions(a.v, b.v); {
	case c > 0:
		return a
	case c < 0:
		return b
	}
	a.incl = a.incl || b.incl
	return a
}

// wrapVersions writes a value backtick-wrapped (a raw leading ">" is a markdown
// blockquote that loses the operator when the form is edited, spec/release.md §2.5).
func wrapVersions(v string) string {
	v = strings.TrimSpace(v)
	if v == "" || strings.HasPrefix(v, "`") {
		return v
	}
	return "`" + v + "`"
}
