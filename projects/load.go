package projects

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// FileName is the name of a project's configuration file inside its directory.
const FileName = "project.toml"

// Problem is one thing wrong with a configuration file (or a file it points at).
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`          // 1-based; 1 when the problem has no better place
	Key     string `json:"key,omitempty"` // dotted path, array elements as roster[0].handle
	Message string `json:"message"`
}

// String renders the problem as `file:line: key "k" message`.
func (p Problem) String() string {
	if p.Key == "" {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	return fmt.Sprintf("%s:%d: key %q %s", p.File, p.Line, p.Key, p.Message)
}

// ValidationError lists every problem found in a configuration, in file and
// line order. Load returns it (wrapped in nothing) whenever the file could be
// read but is not a valid configuration.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	if len(e.Problems) == 1 {
		b.WriteString("invalid project configuration: ")
		b.WriteString(e.Problems[0].String())
		return b.String()
	}
	fmt.Fprintf(&b, "invalid project configuration (%d problems):", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Load reads <dir>/project.toml, applies the documented defaults and validates
// the result, including the files it points at (canned responses, security
// model). Unknown keys, wrong types, missing required values and failed
// cross-checks are all reported together in a *ValidationError.
func Load(dir string) (*Config, error) {
	file := filepath.Join(dir, FileName)
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("load project %s: %w", dir, err)
	}
	cfg, _, err := parse(file, data)
	if err != nil {
		return nil, err
	}
	cfg.Dir = dir
	return cfg, nil
}

// parse decodes and validates one configuration document. It also returns the
// set of keys the document sets (for tests of the template).
func parse(file string, data []byte) (*Config, map[string]int, error) {
	l := &loader{
		file:    file,
		data:    data,
		lines:   map[string]int{},
		headers: map[string]int{},
		flagged: map[string]bool{},
	}
	cfg := &Config{}
	if !l.decode(reflect.ValueOf(cfg).Elem()) {
		return nil, nil, l.err()
	}
	l.applyDefaults(cfg)
	l.validate(cfg, filepath.Dir(file))
	if len(l.problems) > 0 {
		return nil, nil, l.err()
	}
	return cfg, l.lines, nil
}

// loader holds the state of one Load call.
type loader struct {
	file     string
	data     []byte
	problems []Problem
	lines    map[string]int  // key path → line where the document sets it
	headers  map[string]int  // table path → line of its [header] / [[header]]
	flagged  map[string]bool // key paths already reported (no follow-up noise)
}

func (l *loader) err() error {
	sort.SliceStable(l.problems, func(i, j int) bool {
		a, b := l.problems[i], l.problems[j]
		if a.File != b.File {
			return a.File == l.file // the config file first, then the files it names
		}
		return a.Line < b.Line
	})
	return &ValidationError{Problems: l.problems}
}

// addAt records a problem at an explicit line.
func (l *loader) addAt(line int, key, format string, args ...any) {
	if key != "" {
		if l.flagged[key] {
			return
		}
		l.flagged[key] = true
	}
	l.problems = append(l.problems, Problem{File: l.file, Line: line, Key: key, Message: fmt.Sprintf(format, args...)})
}

// add records a problem about a key, at the line that sets it or, when the
// document does not set it, at the nearest enclosing table header (else line 1).
func (l *loader) add(key, format string, args ...any) {
	l.addAt(l.lineOf(key), key, format, args...)
}

func (l *loader) lineOf(key string) int {
	for p := key; p != ""; p = parentPath(p) {
		if n, ok := l.lines[p]; ok {
			return n
		}
		if n, ok := l.headers[p]; ok {
			return n
		}
	}
	return 1
}

func (l *loader) isSet(key string) bool {
	_, ok := l.lines[key]
	return ok
}

// parentPath strips the last component of a key path: "roster[0].handle" →
// "roster[0]" → "roster".
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i > 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func (l *loader) lineAt(r unstable.Range) int {
	off := int(r.Offset)
	if off > len(l.data) {
		off = len(l.data)
	}
	return 1 + strings.Count(string(l.data[:off]), "\n")
}

// decode walks the document expression by expression and stores values into
// root (a Config). Returns false when the document is not even TOML.
func (l *loader) decode(root reflect.Value) bool {
	var p unstable.Parser
	p.Reset(l.data)

	cur, curPath := root, "" // the table key-values currently go to
	defined := map[string]int{}
	for p.NextExpression() {
		expr := p.Expression()
		switch expr.Kind {
		case unstable.Table, unstable.ArrayTable:
			keys, line := l.keyParts(expr)
			var ok bool
			cur, curPath, ok = l.openTable(root, keys, expr.Kind == unstable.ArrayTable, line)
			if !ok {
				cur = reflect.Value{} // unknown table: its keys were reported with it
				continue
			}
			if expr.Kind == unstable.Table {
				if first, dup := defined[curPath]; dup {
					l.addAt(line, "", "table [%s] is defined twice (first on line %d)", curPath, first)
				}
				defined[curPath] = line
			}
			l.headers[curPath] = line
		case unstable.KeyValue:
			if !cur.IsValid() {
				continue
			}
			l.keyValue(cur, curPath, expr)
		}
	}
	if err := p.Error(); err != nil {
		line, msg := 1, err.Error()
		var perr *unstable.ParserError
		if errors.As(err, &perr) {
			msg = perr.Message
			if off := cap(l.data) - cap(perr.Highlight); perr.Highlight != nil && off >= 0 && off <= len(l.data) {
				line = 1 + strings.Count(string(l.data[:off]), "\n")
			}
		}
		l.addAt(line, "", "TOML syntax error: %s", msg)
		return false
	}
	return true
}

// keyParts returns the decoded parts of a table header or key-value key and
// the line of its first part.
func (l *loader) keyParts(n *unstable.Node) ([]string, int) {
	var parts []string
	line := 0
	it := n.Key()
	for it.Next() {
		k := it.Node()
		if line == 0 {
			line = l.lineAt(k.Raw)
		}
		parts = append(parts, string(k.Data))
	}
	return parts, line
}

// openTable resolves a [table] or [[array table]] header to the value its keys
// go to.
func (l *loader) openTable(root reflect.Value, keys []string, array bool, line int) (reflect.Value, string, bool) {
	v, path := root, ""
	for i, k := range keys {
		last := i == len(keys)-1
		field, fpath, ok := l.child(v, path, k, line)
		if !ok {
			return reflect.Value{}, "", false
		}
		v, path = field, fpath
		switch {
		case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct:
			if last && !array {
				l.addAt(line, path, "is an array of tables; write [[%s]]", path)
				return reflect.Value{}, "", false
			}
			if last {
				v.Set(reflect.Append(v, reflect.New(v.Type().Elem()).Elem()))
			} else if v.Len() == 0 {
				l.addAt(line, path, "is used as a table before any [[%s]] element is defined", path)
				return reflect.Value{}, "", false
			}
			idx := v.Len() - 1
			v, path = v.Index(idx), fmt.Sprintf("%s[%d]", path, idx)
		case array && last:
			l.addAt(line, path, "is %s, not an array of tables; write [%s]", describeType(v.Type()), path)
			return reflect.Value{}, "", false
		case v.Kind() == reflect.Struct || v.Kind() == reflect.Map:
			if v.Kind() == reflect.Map && v.IsNil() {
				v.Set(reflect.MakeMap(v.Type()))
			}
		default:
			l.addAt(line, path, "must be %s, not a table", describeType(v.Type()))
			return reflect.Value{}, "", false
		}
		if v.Kind() == reflect.Map && !last {
			l.addAt(line, joinPath(path, keys[i+1]), "is not a known setting: [%s] holds only string values", path)
			return reflect.Value{}, "", false
		}
	}
	return v, path, true
}

// child returns the field (struct) or the table itself (map) named key inside
// v, reporting unknown keys.
func (l *loader) child(v reflect.Value, path, key string, line int) (reflect.Value, string, bool) {
	full := joinPath(path, key)
	switch v.Kind() {
	case reflect.Struct:
		idx, ok := fieldIndex(v.Type(), key)
		if !ok {
			l.addAt(line, full, "is not a known setting%s", l.suggest(v.Type(), path, key))
			return reflect.Value{}, "", false
		}
		return v.Field(idx), full, true
	default:
		l.addAt(line, full, "is not a known setting: %q is %s", path, describeType(v.Type()))
		return reflect.Value{}, "", false
	}
}

// keyValue stores one `a.b = value` expression into table cur.
func (l *loader) keyValue(cur reflect.Value, curPath string, expr *unstable.Node) {
	keys, line := l.keyParts(expr)
	v, path := cur, curPath
	for i, k := range keys {
		last := i == len(keys)-1
		if v.Kind() == reflect.Map {
			full := joinPath(path, k)
			if !last {
				l.addAt(line, full, "is not a known setting: [%s] holds only string values", path)
				return
			}
			l.setMapEntry(v, path, k, expr.Value(), line)
			return
		}
		field, fpath, ok := l.child(v, path, k, line)
		if !ok {
			return
		}
		v, path = field, fpath
		if !last {
			switch {
			case v.Kind() == reflect.Struct:
			case v.Kind() == reflect.Map:
				if v.IsNil() {
					v.Set(reflect.MakeMap(v.Type()))
				}
			default:
				l.addAt(line, path, "must be %s, not a table", describeType(v.Type()))
				return
			}
		}
	}
	if first, dup := l.lines[path]; dup {
		l.addAt(line, path, "is set twice (first on line %d)", first)
		return
	}
	l.lines[path] = line
	l.assign(v, path, expr.Value(), line)
}

func (l *loader) setMapEntry(m reflect.Value, path, key string, val *unstable.Node, line int) {
	full := joinPath(path, key)
	if first, dup := l.lines[full]; dup {
		l.addAt(line, full, "is set twice (first on line %d)", first)
		return
	}
	l.lines[full] = line
	if m.IsNil() {
		m.Set(reflect.MakeMap(m.Type()))
	}
	elem := reflect.New(m.Type().Elem()).Elem()
	if l.assign(elem, full, val, line) {
		m.SetMapIndex(reflect.ValueOf(key), elem)
	}
}

// assign converts one TOML value node into v, reporting a type mismatch.
func (l *loader) assign(v reflect.Value, path string, n *unstable.Node, line int) bool {
	bad := func() bool {
		l.addAt(line, path, "must be %s, got %s", describeType(v.Type()), describeNode(n))
		return false
	}
	switch v.Kind() {
	case reflect.String:
		if n.Kind != unstable.String {
			return bad()
		}
		v.SetString(string(n.Data))
	case reflect.Bool:
		if n.Kind != unstable.Bool {
			return bad()
		}
		v.SetBool(string(n.Data) == "true")
	case reflect.Int:
		if n.Kind != unstable.Integer {
			return bad()
		}
		i, err := strconv.ParseInt(strings.ReplaceAll(string(n.Data), "_", ""), 0, 64)
		if err != nil || int64(int(i)) != i {
			l.addAt(line, path, "is not a usable integer: %s", string(n.Data))
			return false
		}
		v.SetInt(i)
	case reflect.Slice:
		if n.Kind != unstable.Array {
			return bad()
		}
		out := reflect.MakeSlice(v.Type(), 0, 4)
		it := n.Children()
		ok := true
		for i := 0; it.Next(); i++ {
			elem := reflect.New(v.Type().Elem()).Elem()
			if l.assign(elem, fmt.Sprintf("%s[%d]", path, i), it.Node(), line) {
				out = reflect.Append(out, elem)
			} else {
				ok = false
			}
		}
		v.Set(out)
		return ok
	case reflect.Struct, reflect.Map:
		if n.Kind != unstable.InlineTable {
			return bad()
		}
		if v.Kind() == reflect.Map && v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		l.headers[path] = line
		it := n.Children()
		for it.Next() {
			l.keyValue(v, path, it.Node())
		}
	default:
		l.addAt(line, path, "has an unsupported configuration type %s (a vulnsteward bug)", v.Type())
		return false
	}
	return true
}

// fieldIndex finds the struct field whose toml tag is key.
func fieldIndex(t reflect.Type, key string) (int, bool) {
	for i := range t.NumField() {
		if tomlName(t.Field(i)) == key {
			return i, true
		}
	}
	return 0, false
}

// tomlName is the key of a field in the file, "" when the field is not in it.
func tomlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	return name
}

func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.Int:
		return "an integer"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct {
			return "an array of tables"
		}
		return "an array of " + strings.TrimPrefix(strings.TrimPrefix(describeType(t.Elem()), "an "), "a ") + "s"
	case reflect.Map:
		return "a table of strings"
	case reflect.Struct:
		return "a table"
	}
	return t.String()
}

func describeNode(n *unstable.Node) string {
	switch n.Kind {
	case unstable.String:
		return "a string"
	case unstable.Bool:
		return "a boolean"
	case unstable.Integer:
		return "an integer"
	case unstable.Float:
		return "a float"
	case unstable.Array:
		return "an array"
	case unstable.InlineTable:
		return "an inline table"
	case unstable.LocalDate, unstable.LocalTime, unstable.LocalDateTime, unstable.DateTime:
		return "a date/time"
	}
	return strings.ToLower(n.Kind.String())
}

// suggest proposes the closest known key for a misspelt one: first among the
// keys of the same table, then the same key in another table.
func (l *loader) suggest(t reflect.Type, path, key string) string {
	best, bestDist := "", 0
	for i := range t.NumField() {
		name := tomlName(t.Field(i))
		if name == "" {
			continue
		}
		d := levenshtein(strings.ToLower(key), name)
		if d <= max(1, len(key)/3) && (best == "" || d < bestDist) {
			best, bestDist = name, d
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %q?)", joinPath(path, best))
	}
	var elsewhere []string
	for _, p := range settingPaths(reflect.TypeFor[Config]()) {
		if p != joinPath(path, key) && (p == key || strings.HasSuffix(p, "."+key)) {
			elsewhere = append(elsewhere, p)
		}
	}
	if len(elsewhere) > 0 {
		return fmt.Sprintf(" (did you mean %q?)", strings.Join(elsewhere, `" or "`))
	}
	return ""
}

// settingPaths lists every key of the file for type t, array elements written
// without an index ("roster.handle") and maps as their table ("board.columns").
func settingPaths(t reflect.Type) []string {
	var out []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := range t.NumField() {
			f := t.Field(i)
			name := tomlName(f)
			if name == "" {
				continue
			}
			p := joinPath(prefix, name)
			ft := f.Type
			switch {
			case ft.Kind() == reflect.Struct:
				walk(ft, p)
			case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
				walk(ft.Elem(), p)
			default:
				out = append(out, p)
			}
		}
	}
	walk(t, "")
	return out
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
