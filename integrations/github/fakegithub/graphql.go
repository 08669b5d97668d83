package fakegithub

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// The GraphQL side: the operations integrations/github sends for the Projects V2
// board. A request is parsed (and validated against the schema when the server
// has one), then a small executor walks the operation's selection set over
// resolver objects, so answers are shaped exactly like the query.

// gqlObject is a GraphQL object value: its concrete type name and its fields.
type gqlObject interface {
	typeName() string
	field(s *Server, name string, args map[string]any) (any, *gqlError)
}

// gqlError is one entry of the "errors" array, GitHub style.
type gqlError struct {
	Type      string           `json:"type,omitempty"`
	Path      []any            `json:"path,omitempty"`
	Locations []map[string]int `json:"locations,omitempty"`
	Message   string           `json:"message"`
}

func notFound(format string, args ...any) *gqlError {
	return &gqlError{Type: "NOT_FOUND", Message: fmt.Sprintf(format, args...)}
}

func noField(obj gqlObject, name string) *gqlError {
	return &gqlError{Type: "undefinedField", Message: fmt.Sprintf("Field '%s' doesn't exist on type '%s'", name, obj.typeName())}
}

func (s *Server) serveGraphQL(w http.ResponseWriter, body []byte, entry *Request) {
	var in struct {
		Query         string          `json:"query"`
		Variables     json.RawMessage `json:"variables"`
		OperationName string          `json:"operationName"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	entry.GraphQL, entry.Variables = in.Query, in.Variables
	vars := map[string]any{}
	if len(in.Variables) > 0 && string(in.Variables) != "null" {
		if err := json.Unmarshal(in.Variables, &vars); err != nil {
			writeError(w, http.StatusBadRequest, "Problems parsing JSON")
			return
		}
	}
	doc, perr := parser.ParseQuery(&ast.Source{Input: in.Query})
	if perr != nil {
		writeGraphQLErrors(w, &gqlError{Message: perr.Error()})
		return
	}
	if s.schema != nil {
		if errs := validator.ValidateWithRules(s.schema, doc, nil); len(errs) > 0 {
			var out []*gqlError
			for _, e := range errs {
				out = append(out, &gqlError{Message: e.Message, Type: "INVALID"})
			}
			writeGraphQLErrors(w, out...)
			return
		}
	}
	var op *ast.OperationDefinition
	switch {
	case in.OperationName != "":
		op = doc.Operations.ForName(in.OperationName)
	case len(doc.Operations) == 1:
		op = doc.Operations[0]
	}
	if op == nil {
		writeGraphQLErrors(w, &gqlError{Message: "no operation to run (name it with operationName)"})
		return
	}
	entry.Operation = operationName(op)
	if s.schema != nil {
		coerced, err := validator.VariableValues(s.schema, op, vars)
		if err != nil {
			writeGraphQLErrors(w, &gqlError{Message: err.Error(), Type: "INVALID"})
			return
		}
		vars = coerced
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	paths := []string{"/graphql"}
	for _, sel := range op.SelectionSet {
		if f, ok := sel.(*ast.Field); ok {
			paths = append(paths, "/graphql/"+f.Name)
		}
	}
	if f, ok := s.takeFault(http.MethodPost, paths...); ok {
		writeGraphQLFault(w, f)
		return
	}
	ex := &executor{s: s, doc: doc, vars: vars}
	var root gqlObject = queryRoot{}
	if op.Operation == ast.Mutation {
		root = mutationRoot{}
	}
	data := ex.selectionSet(root, op.SelectionSet, nil)
	out := map[string]any{"data": data}
	if len(ex.errs) > 0 {
		out["errors"] = ex.errs
	}
	writeJSON(w, http.StatusOK, out)
}

func operationName(op *ast.OperationDefinition) string {
	if op.Name != "" {
		return op.Name
	}
	var fields []string
	for _, sel := range op.SelectionSet {
		if f, ok := sel.(*ast.Field); ok {
			fields = append(fields, f.Name)
		}
	}
	return string(op.Operation) + " " + strings.Join(fields, "+")
}

func writeGraphQLErrors(w http.ResponseWriter, errs ...*gqlError) {
	writeJSON(w, http.StatusOK, map[string]any{"errors": errs})
}

// writeGraphQLFault answers an injected failure the way GitHub's GraphQL
// endpoint does: HTTP errors for auth, server faults and the secondary limit;
// a 200 with typed errors for scopes, not-found and the primary limit.
func writeGraphQLFault(w http.ResponseWriter, f fault) {
	switch {
	case f.rate == "primary":
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", fmt.Sprint(time.Now().Add(time.Minute).Unix()))
		writeGraphQLErrors(w, &gqlError{Type: "RATE_LIMITED", Message: "API rate limit already exceeded for user ID 1."})
	case f.rate == "secondary":
		w.Header().Set("Retry-After", "60")
		writeJSON(w, http.StatusForbidden, map[string]any{
			"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			"documentation_url": "https://docs.github.com/graphql/overview/rate-limits-and-node-limits-for-the-graphql-api#secondary-rate-limits",
		})
	case f.status == http.StatusForbidden:
		writeGraphQLErrors(w, &gqlError{Type: "INSUFFICIENT_SCOPES",
			Message: "Your token has not been granted the required scopes to execute this query. The 'id' field requires one of the following scopes: ['read:project'], but your token has only been granted the: ['repo'] scopes."})
	case f.status == http.StatusNotFound:
		writeGraphQLErrors(w, &gqlError{Type: "NOT_FOUND", Message: "Could not resolve to a node with the global id of 'X'."})
	case f.status == http.StatusUnauthorized:
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials", "documentation_url": "https://docs.github.com/graphql"})
	default:
		writeJSON(w, f.status, map[string]any{"message": http.StatusText(f.status), "documentation_url": "https://docs.github.com/graphql"})
	}
}

// executor walks one operation. Server.mu is held throughout.
type executor struct {
	s    *Server
	doc  *ast.QueryDocument
	vars map[string]any
	errs []*gqlError
}

func (ex *executor) selectionSet(obj gqlObject, set ast.SelectionSet, path []any) map[string]any {
	out := map[string]any{}
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			key := sel.Alias
			if key == "" {
				key = sel.Name
			}
			if sel.Name == "__typename" {
				out[key] = obj.typeName()
				continue
			}
			args := map[string]any{}
			for _, a := range sel.Arguments {
				v, err := a.Value.Value(ex.vars)
				if err != nil {
					ex.errs = append(ex.errs, &gqlError{Message: err.Error(), Path: append(clonePath(path), key)})
					continue
				}
				args[a.Name] = v
			}
			v, gerr := obj.field(ex.s, sel.Name, args)
			fieldPath := append(clonePath(path), key)
			if gerr != nil {
				gerr.Path = fieldPath
				gerr.Locations = []map[string]int{{"line": sel.Position.Line, "column": sel.Position.Column}}
				ex.errs = append(ex.errs, gerr)
				out[key] = nil
				continue
			}
			out[key] = ex.value(v, sel.SelectionSet, fieldPath)
		case *ast.InlineFragment:
			if sel.TypeCondition == "" || ex.typeMatches(obj.typeName(), sel.TypeCondition) {
				for k, v := range ex.selectionSet(obj, sel.SelectionSet, path) {
					out[k] = v
				}
			}
		case *ast.FragmentSpread:
			if fr := ex.doc.Fragments.ForName(sel.Name); fr != nil && ex.typeMatches(obj.typeName(), fr.TypeCondition) {
				for k, v := range ex.selectionSet(obj, fr.SelectionSet, path) {
					out[k] = v
				}
			}
		}
	}
	return out
}

func (ex *executor) value(v any, set ast.SelectionSet, path []any) any {
	switch v := v.(type) {
	case nil:
		return nil
	case gqlObject:
		return ex.selectionSet(v, set, path)
	case []gqlObject:
		out := make([]any, len(v))
		for i, o := range v {
			out[i] = ex.selectionSet(o, set, append(clonePath(path), i))
		}
		return out
	default:
		return v
	}
}

// abstractTypes are the interfaces and unions the fake's objects can be
// reached through, used when no schema is loaded.
var abstractTypes = map[string][]string{
	"ProjectV2Owner":              {"Organization", "User", "Issue", "PullRequest"},
	"RepositoryOwner":             {"Organization", "User"},
	"Node":                        {"Organization", "User", "Repository", "Issue", "PullRequest", "ProjectV2", "ProjectV2Item", "ProjectV2SingleSelectField"},
	"ProjectV2FieldConfiguration": {"ProjectV2Field", "ProjectV2IterationField", "ProjectV2SingleSelectField"},
	"ProjectV2ItemFieldValue":     {"ProjectV2ItemFieldSingleSelectValue", "ProjectV2ItemFieldTextValue", "ProjectV2ItemFieldNumberValue", "ProjectV2ItemFieldDateValue"},
	"ProjectV2ItemContent":        {"Issue", "PullRequest", "DraftIssue"},
}

func (ex *executor) typeMatches(concrete, cond string) bool {
	if concrete == cond {
		return true
	}
	if sch := ex.s.schema; sch != nil {
		if def := sch.Types[cond]; def != nil {
			for _, pt := range sch.GetPossibleTypes(def) {
				if pt.Name == concrete {
					return true
				}
			}
		}
		return false
	}
	for _, t := range abstractTypes[cond] {
		if t == concrete {
			return true
		}
	}
	return false
}

func clonePath(p []any) []any { return append([]any(nil), p...) }

func argString(args map[string]any, name string) string {
	s, _ := args[name].(string)
	return s
}

func argInt(args map[string]any, name string) (int, bool) {
	switch v := args[name].(type) {
	case int:
		return v, true
	case int64:
		return int(v), true
	case float64:
		return int(v), true
	case json.Number:
		n, err := strconv.Atoi(string(v))
		return n, err == nil
	case string:
		n, err := strconv.Atoi(v)
		return n, err == nil
	}
	return 0, false
}

// Resolvers.

type queryRoot struct{}

func (queryRoot) typeName() string { return "Query" }
func (q queryRoot) field(s *Server, name string, args map[string]any) (any, *gqlError) {
	switch name {
	case "repositoryOwner":
		if u := s.users[strings.ToLower(argString(args, "login"))]; u != nil {
			return ownerObj{u}, nil
		}
		return nil, nil
	case "repository":
		r := s.findRepo(argString(args, "owner"), argString(args, "name"))
		if r == nil {
			return nil, notFound("Could not resolve to a Repository with the name '%s/%s'.", argString(args, "owner"), argString(args, "name"))
		}
		return repoObj{r}, nil
	}
	return nil, noField(q, name)
}

type ownerObj struct{ u *user }

func (o ownerObj) typeName() string { return o.u.typ }
func (o ownerObj) field(s *Server, name string, args map[string]any) (any, *gqlError) {
	switch name {
	case "id":
		return o.u.nodeID, nil
	case "login":
		return o.u.login, nil
	case "projectV2":
		n, _ := argInt(args, "number")
		if p := s.projects[projectKey(o.u.login, n)]; p != nil {
			return projectObj{p}, nil
		}
		return nil, notFound("Could not resolve to a ProjectV2 with the number %d.", n)
	}
	return nil, noField(o, name)
}

type projectObj struct{ p *project }

func (projectObj) typeName() string { return "ProjectV2" }
func (o projectObj) field(_ *Server, name string, args map[string]any) (any, *gqlError) {
	switch name {
	case "id":
		return o.p.id, nil
	case "number":
		return o.p.number, nil
	case "title":
		return o.p.title, nil
	case "field":
		if strings.EqualFold(argString(args, "name"), o.p.status.name) {
			return fieldObj{o.p.status}, nil
		}
		return nil, nil
	}
	return nil, noField(o, name)
}

type fieldObj struct{ f *field }

func (fieldObj) typeName() string { return "ProjectV2SingleSelectField" }
func (o fieldObj) field(_ *Server, name string, _ map[string]any) (any, *gqlError) {
	switch name {
	case "id":
		return o.f.id, nil
	case "name":
		return o.f.name, nil
	case "dataType":
		return "SINGLE_SELECT", nil
	case "options":
		out := []gqlObject{}
		for _, op := range o.f.options {
			out = append(out, optionObj{op})
		}
		return out, nil
	}
	return nil, noField(o, name)
}

type optionObj struct{ o *option }

func (optionObj) typeName() string { return "ProjectV2SingleSelectFieldOption" }
func (o optionObj) field(_ *Server, name string, _ map[string]any) (any, *gqlError) {
	switch name {
	case "id":
		return o.o.id, nil
	case "name", "nameHTML":
		return o.o.name, nil
	}
	return nil, noField(o, name)
}

type repoObj struct{ r *repo }

func (repoObj) typeName() string { return "Repository" }
func (o repoObj) field(_ *Server, name string, args map[string]any) (any, *gqlError) {
	switch name {
	case "id":
		return o.r.nodeID, nil
	case "name":
		return o.r.name, nil
	case "nameWithOwner":
		return o.r.fullName(), nil
	case "issue":
		n, _ := argInt(args, "number")
		if is := o.r.issues[n]; is != nil && is.pr == nil {
			return issueObj{is}, nil
		}
		return nil, notFound("Could not resolve to an Issue with the number of %d.", n)
	}
	return nil, noField(o, name)
}

type issueObj struct{ is *issue }

func (issueObj) typeName() string { return "Issue" }
func (o issueObj) field(s *Server, name string, args map[string]any) (any, *gqlError) {
	switch name {
	case "id":
		return o.is.nodeID, nil
	case "number":
		return o.is.number, nil
	case "title":
		return o.is.title, nil
	case "projectItems":
		includeArchived := true
		if v, ok := args["includeArchived"].(bool); ok {
			includeArchived = v
		}
		var all []*item
		keys := make([]string, 0, len(s.projects))
		for k := range s.projects {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, it := range s.projects[k].items {
				if it.content == o.is && (includeArchived || !it.archived) {
					all = append(all, it)
				}
			}
		}
		return pageItems(all, args)
	}
	return nil, noField(o, name)
}

// pageItems applies first/after to a list, with opaque cursors.
func pageItems(all []*item, args map[string]any) (any, *gqlError) {
	first, ok := argInt(args, "first")
	if !ok {
		return nil, &gqlError{Type: "MISSING_PAGINATION_BOUNDARIES", Message: "You must provide a `first` or `last` value to properly paginate the `projectItems` connection."}
	}
	if first < 0 || first > 100 {
		return nil, &gqlError{Type: "EXCESSIVE_PAGINATION", Message: fmt.Sprintf("Requesting %d records on the `projectItems` connection exceeds the `first` limit of 100 records.", first)}
	}
	start := 0
	if after := argString(args, "after"); after != "" {
		raw, err := base64.StdEncoding.DecodeString(after)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(raw), "cursor:"))
		if err != nil || err2 != nil || n < 0 {
			return nil, &gqlError{Message: fmt.Sprintf("`%s` does not appear to be a valid cursor.", after)}
		}
		start = min(n+1, len(all))
	}
	end := min(start+first, len(all))
	c := itemConn{items: all[start:end], total: len(all), hasNext: end < len(all), hasPrev: start > 0}
	if end > start {
		c.startCursor = base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("cursor:%d", start)))
		c.endCursor = base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("cursor:%d", end-1)))
	}
	return c, nil
}

type itemConn struct {
	items                  []*item
	total                  int
	hasNext, hasPrev       bool
	startCursor, endCursor string
}

func (itemConn) typeName() string { return "ProjectV2ItemConnection" }
func (o itemConn) field(_ *Server, name string, _ map[string]any) (any, *gqlError) {
	switch name {
	case "nodes":
		out := []gqlObject{}
		for _, it := range o.items {
			out = append(out, itemObj{it})
		}
		return out, nil
	case "totalCount":
		return o.total, nil
	case "pageInfo":
		return pageInfo{o}, nil
	}
	return nil, noField(o, name)
}

type pageInfo struct{ c itemConn }

func (pageInfo) typeName() string { return "PageInfo" }
func (o pageInfo) field(_ *Server, name string, _ map[string]any) (any, *gqlError) {
	cursor := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	switch name {
	case "hasNextPage":
		return o.c.hasNext, nil
	case "hasPreviousPage":
		return o.c.hasPrev, nil
	case "endCursor":
		return cursor(o.c.endCursor), nil
	case "startCursor":
		return cursor(o.c.startCursor), nil
	}
	return nil, noField(o, name)
}

type itemObj struct{ it *item }

func (itemObj) typeName() string { return "ProjectV2Item" }
func (o itemObj) field(_ *Server, name string, args map[string]any) (any, *gqlError) {
	switch name {
	case "id":
		return o.it.id, nil
	case "isArchived":
		return o.it.archived, nil
	case "type":
		return "ISSUE", nil
	case "project":
		return projectObj{o.it.project}, nil
	case "content":
		return issueObj{o.it.content}, nil
	case "fieldValueByName":
		f := o.it.project.status
		if !strings.EqualFold(argString(args, "name"), f.name) || o.it.optionID == "" {
			return nil, nil
		}
		for _, op := range f.options {
			if op.id == o.it.optionID {
				return statusValue{o.it, op}, nil
			}
		}
		return nil, nil
	}
	return nil, noField(o, name)
}

type statusValue struct {
	it *item
	op *option
}

func (statusValue) typeName() string { return "ProjectV2ItemFieldSingleSelectValue" }
func (o statusValue) field(_ *Server, name string, _ map[string]any) (any, *gqlError) {
	switch name {
	case "name":
		return o.op.name, nil
	case "optionId":
		return o.op.id, nil
	case "field":
		return fieldObj{o.it.project.status}, nil
	case "item":
		return itemObj{o.it}, nil
	}
	return nil, noField(o, name)
}

// Mutations.

type mutationRoot struct{}

func (mutationRoot) typeName() string { return "Mutation" }
func (m mutationRoot) field(s *Server, name string, args map[string]any) (any, *gqlError) {
	in, _ := args["input"].(map[string]any)
	switch name {
	case "addProjectV2ItemById":
		p, err := s.projectByID(in)
		if err != nil {
			return nil, err
		}
		id := argString(in, "contentId")
		is, ok := s.nodes[id].(*issue)
		if !ok {
			return nil, notFound("Could not resolve to a node with the global id of '%s'.", id)
		}
		// Returns the existing item when the content is already on the board.
		return payload{"AddProjectV2ItemByIdPayload", "item", s.itemLocked(p, is)}, nil
	case "updateProjectV2ItemFieldValue":
		p, err := s.projectByID(in)
		if err != nil {
			return nil, err
		}
		it, err := s.itemByID(p, in)
		if err != nil {
			return nil, err
		}
		fid := argString(in, "fieldId")
		if f, ok := s.nodes[fid].(*field); !ok || f != p.status {
			return nil, notFound("Could not resolve to a node with the global id of '%s'.", fid)
		}
		value, _ := in["value"].(map[string]any)
		oid := argString(value, "singleSelectOptionId")
		for _, op := range p.status.options {
			if op.id == oid {
				it.optionID = oid
				return payload{"UpdateProjectV2ItemFieldValuePayload", "projectV2Item", it}, nil
			}
		}
		// GitHub's wording for a stale option id is not documented; the adapter
		// does not depend on it.
		return nil, &gqlError{Message: fmt.Sprintf("The single select option Id '%s' does not belong to the field", oid)}
	case "archiveProjectV2Item", "unarchiveProjectV2Item":
		p, err := s.projectByID(in)
		if err != nil {
			return nil, err
		}
		it, err := s.itemByID(p, in)
		if err != nil {
			return nil, err
		}
		it.archived = name == "archiveProjectV2Item"
		typ := "ArchiveProjectV2ItemPayload"
		if !it.archived {
			typ = "UnarchiveProjectV2ItemPayload"
		}
		return payload{typ, "item", it}, nil
	}
	return nil, noField(m, name)
}

func (s *Server) projectByID(in map[string]any) (*project, *gqlError) {
	id := argString(in, "projectId")
	p, ok := s.nodes[id].(*project)
	if !ok {
		return nil, notFound("Could not resolve to a node with the global id of '%s'.", id)
	}
	return p, nil
}

func (s *Server) itemByID(p *project, in map[string]any) (*item, *gqlError) {
	id := argString(in, "itemId")
	it, ok := s.nodes[id].(*item)
	if !ok || it.project != p {
		return nil, notFound("Could not resolve to a node with the global id of '%s'.", id)
	}
	return it, nil
}

// payload is a mutation payload holding one item under key.
type payload struct {
	typ, key string
	it       *item
}

func (p payload) typeName() string { return p.typ }
func (p payload) field(_ *Server, name string, _ map[string]any) (any, *gqlError) {
	switch name {
	case p.key:
		return itemObj{p.it}, nil
	case "clientMutationId":
		return nil, nil
	}
	return nil, noField(p, name)
}
