package deduplicate

import (
	"strings"
	"testing"
)

func TestWidenVersions(t *testing.T) {
	tests := []struct {
		name, a, b, want string
		ok               bool
	}{
		{"two lists: sorted union", "2.4.0, 2.4.1", "2.3.5, 2.4.1", "2.3.5, 2.4.0, 2.4.1", true},
		{"single versions", "2.4.0", "2.4.1", "2.4.0, 2.4.1", true},
		{"numeric, not lexical", "2.9.0", "2.10.0", "2.9.0, 2.10.0", true},
		{"2.4 equals 2.4.0 in a union (first spelling kept)", "2.4", "2.4.0", "2.4", true},
		{"two ranges: lowest lower, highest upper", ">= 2.3.0, <= 2.4.1", ">= 2.4.0, < 2.4.2", ">= 2.3.0, < 2.4.2", true},
		{"equal upper: inclusive wins", ">= 2.3.0, < 2.4.2", ">= 2.3.1, <= 2.4.2", ">= 2.3.0, <= 2.4.2", true},
		{"equal lower: inclusive wins", "> 2.3.0, < 2.5", ">= 2.3.0, < 2.4", ">= 2.3.0, < 2.5", true},
		{"a side without a lower bound", "< 2.4.2", ">= 2.3.0, < 2.4.0", "< 2.4.2", true},
		{"a side without an upper bound", ">= 2.3.0", ">= 2.2.0, < 2.4.0", ">= 2.2.0", true},
		{"list and range", "2.4.0, 2.4.1", ">= 2.4.0, < 2.4.2", ">= 2.4.0, < 2.4.2", true},
		{"list widens a range downwards", "2.2.9", ">= 2.3.0, < 2.4.2", ">= 2.2.9, < 2.4.2", true},
		{"list widens a range upwards (inclusive)", ">= 2.3.0, < 2.4.0", "2.4.0", ">= 2.3.0, <= 2.4.0", true},
		{"backticks are stripped", "`>= 3.0.0, < 3.2.2`", "`>= 3.1.0, < 3.3.0`", ">= 3.0.0, < 3.3.0", true},
		{"pre-release sorts before its release", "< 3.0.0-rc1", "< 3.0.0", "< 3.0.0", true},
		{"v prefix", ">= v1.2.0, < v1.3.0", ">= v1.1.0, < v1.2.5", ">= v1.1.0, < v1.3.0", true},
		{"same product word", "helm-chart >= 1.6.0, <= 1.8.2", "helm-chart >= 1.7.0, < 1.9.0", "helm-chart >= 1.6.0, < 1.9.0", true},
		{"different product words", "helm-chart >= 1.6.0", "server >= 2.0", "", false},
		{"prose does not parse", "all 2.x releases", "2.4.0", "", false},
		{"a list mixed with a bound does not parse", "2.4.0, < 2.5", "2.4.1", "", false},
		{"two lower bounds do not parse", ">= 2.0, >= 2.1", "2.4.1", "", false},
		{"empty side: the other one", "", ">= 2.0, < 2.1", ">= 2.0, < 2.1", true},
		{"other empty side", "2.4.0", "", "2.4.0", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := WidenVersions(tc.a, tc.b)
			if ok != tc.ok || got != tc.want {
				t.Errorf("WidenVersions(%q, %q) = %q, %v; want %q, %v", tc.a, tc.b, got, ok, tc.want, tc.ok)
			}
			// Widening is symmetric, except for which spelling of an equal version is kept.
			if back, ok2 := WidenVersions(tc.b, tc.a); ok2 != ok || (back != got && !strings.Contains(tc.name, "spelling")) {
				t.Errorf("not symmetric: %q vs %q", got, back)
			}
		})
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0.0", 0},
		{"1.10", "1.9", 1},
		{"2.0.0-rc1", "2.0.0", -1},
		{"2.0.0-rc1", "2.0.0-rc2", -1},
		{"v3", "3.0", 0},
	}
	for _, tc := range tests {
		a, _ := parseVersion(tc.a)
		b, _ := parseVersion(tc.b)
		if got := compareVersions(a, b); got != tc.want {
			t.Errorf("compare(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
