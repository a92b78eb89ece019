package scopes

import (
	"slices"
	"strings"
)

// defaultService is the service a bare endpoint name ("PostInputs") belongs to.
const defaultService = "/clarifai.api.V2/"

// Bounds on parsing server text for scopes: a hostile status costs at most
// this much work, and yields at most this much.
const (
	maxParseText = 16 << 10     // bytes of server text read, all texts together
	maxParsed    = 1024         // scopes, and endpoints, collected before sorting
	maxItem      = maxShortText // a longer word is neither a scope nor an endpoint
)

// parseMissing extracts the scopes and endpoints named in texts, Clarifai
// error descriptions or details such as
//
//	Missing scopes: [Inputs:Add, Predict]; or endpoints: [/clarifai.api.V2/PostInputs]
//
// It is tolerant of the exact wording: lists may be bracketed or not and
// separated by commas and/or spaces; scopes may be spelled "Inputs:Add" or
// "Inputs_Add"; endpoints may be full method names with or without the
// leading slash, or bare method names following the word "endpoint(s)".
// Each text ends a clause, as a new line does.
//
// Only tokens that look like scopes are returned: Resource:Action pairs
// anywhere, and the single-word scopes All, Predict and Search only inside a
// list of scopes (after the word "scope(s)", next to another scope, or in
// brackets with one). Scopes use the colon spelling; endpoints are full
// method names with a leading slash. Both results are sorted and free of
// duplicates; either may be nil. It reads at most maxParseText bytes in all,
// returns at most maxParsed of each, ignores words longer than maxItem, and
// never panics.
func parseMissing(texts ...string) (scopes, endpoints []string) {
	toks := tokenize(texts)
	groups := scopeGroups(toks)
	var (
		inScopes    bool // in a list introduced by "scope(s)" or by a scope
		inEndpoints bool // in a list introduced by "endpoint(s)"
		listItems   int  // items found in the current keyword list
		bracket     = -1 // index of the closing bracket of a scope group
	)
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.kind {
		case tokOpen:
			if bracket < 0 && groups[i] > 0 {
				bracket = groups[i]
			}
			continue
		case tokClose:
			if i >= bracket {
				bracket = -1
			}
			continue
		case tokStop:
			inScopes, inEndpoints, listItems = false, false, 0
			continue
		}
		w := strings.TrimSuffix(t.text, ":")
		switch {
		case isWord(w, "scope", "scopes"):
			inScopes, inEndpoints, listItems = true, false, 0
			continue
		case isWord(w, "endpoint", "endpoints"):
			inEndpoints, inScopes, listItems = true, false, 0
			continue
		case isWord(w, "and", "or", "&", "+", "plus"):
			continue
		}
		switch {
		case len(w) > maxItem:
			if listItems > 0 {
				inScopes, inEndpoints, listItems = false, false, 0
			}
		case isPairScope(w):
			if len(scopes) < maxParsed {
				scopes = append(scopes, normalizeScope(w))
			}
			inScopes, listItems = true, listItems+1
		case isSingleScope(w) && (inScopes || bracket >= 0):
			if len(scopes) < maxParsed {
				scopes = append(scopes, w)
			}
			listItems++
		case isEndpoint(w):
			if len(endpoints) < maxParsed {
				endpoints = append(endpoints, normalizeEndpoint(w))
			}
			listItems++
		case inEndpoints && isIdent(w) && isUpper(w[0]):
			if len(endpoints) < maxParsed {
				endpoints = append(endpoints, defaultService+w)
			}
			listItems++
		default:
			// An ordinary word ends a list that has begun; before the
			// first item it is part of the phrase ("scopes are missing:").
			if listItems > 0 {
				inScopes, inEndpoints, listItems = false, false, 0
			}
		}
	}
	return sortUnique(scopes), sortUnique(endpoints)
}

type tokKind uint8

const (
	tokWord tokKind = iota
	tokOpen
	tokClose
	tokStop // end of a sentence or clause
)

type token struct {
	kind tokKind
	text string
}

// tokenize splits texts into words, brackets and clause ends, reading at
// most maxParseText bytes in all. ':' '_' '/' and '.' stay inside words; a
// trailing '.' ends a sentence, and so does the end of each text.
func tokenize(texts []string) []token {
	var toks []token
	left := maxParseText
	for _, text := range texts {
		if left <= 0 {
			break
		}
		text = prefix(text, left)
		left -= len(text)
		toks = tokenizeText(toks, text)
		toks = append(toks, token{kind: tokStop})
	}
	return toks
}

// tokenizeText appends the tokens of text to toks.
func tokenizeText(toks []token, text string) []token {
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		w := text[start:end]
		start = -1
		stop := false
		for strings.HasSuffix(w, ".") {
			w, stop = w[:len(w)-1], true
		}
		// "scopes:Predict" and the like: split the keyword off.
		if i := strings.IndexByte(w, ':'); i > 0 && i < len(w)-1 {
			if isWord(w[:i], "scope", "scopes", "endpoint", "endpoints") {
				toks = append(toks, token{tokWord, w[:i]})
				w = w[i+1:]
			}
		}
		if w != "" {
			toks = append(toks, token{tokWord, w})
		}
		if stop {
			toks = append(toks, token{kind: tokStop})
		}
	}
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case '[', '(', '{', '<':
			flush(i)
			toks = append(toks, token{kind: tokOpen})
		case ']', ')', '}', '>':
			flush(i)
			toks = append(toks, token{kind: tokClose})
		case ';', '\n', '!', '?':
			flush(i)
			toks = append(toks, token{kind: tokStop})
		case ' ', '\t', '\r', '\v', '\f', ',', '"', '\'', '`', '=', '|', '*':
			flush(i)
		default:
			if start < 0 {
				start = i
			}
		}
	}
	flush(len(text))
	return toks
}

// scopeGroups maps the index of each opening bracket whose group holds a
// Resource:Action scope (which makes it a list of scopes) to the index of its
// closing bracket (len(toks) when unclosed). It runs in linear time.
func scopeGroups(toks []token) map[int]int {
	var (
		groups map[int]int
		open   []int  // indexes of unclosed brackets
		has    []bool // whether each unclosed group holds a scope so far
	)
	end := func(j int) {
		i, h := open[len(open)-1], has[len(has)-1]
		open, has = open[:len(open)-1], has[:len(has)-1]
		if h {
			if groups == nil {
				groups = make(map[int]int)
			}
			groups[i] = j
			if len(has) > 0 {
				has[len(has)-1] = true
			}
		}
	}
	for j, t := range toks {
		switch t.kind {
		case tokOpen:
			open, has = append(open, j), append(has, false)
		case tokClose:
			if len(open) > 0 {
				end(j)
			}
		case tokWord:
			if len(has) > 0 && isPairScope(strings.TrimSuffix(t.text, ":")) {
				has[len(has)-1] = true
			}
		}
	}
	for len(open) > 0 {
		end(len(toks))
	}
	return groups
}

// isWord reports whether w is one of words, ignoring ASCII case.
func isWord(w string, words ...string) bool {
	for _, k := range words {
		if len(w) != len(k) {
			continue
		}
		i := 0
		for i < len(w) && lower(w[i]) == k[i] {
			i++
		}
		if i == len(w) {
			return true
		}
	}
	return false
}

func lower(c byte) byte {
	if isUpper(c) {
		return c + 'a' - 'A'
	}
	return c
}

// isPairScope reports whether w looks like "Inputs:Add" or "Inputs_Add":
// two CamelCase identifiers joined by one ':' or '_'.
func isPairScope(w string) bool {
	i := strings.IndexAny(w, ":_")
	if i <= 0 || i == len(w)-1 {
		return false
	}
	return isCamel(w[:i]) && isCamel(w[i+1:])
}

// isSingleScope reports whether w is one of the scopes spelled as one word.
func isSingleScope(w string) bool {
	return w == "All" || w == "Predict" || w == "Search"
}

// isCamel reports whether w is an ASCII identifier of letters and digits
// starting with an upper-case letter.
func isCamel(w string) bool {
	if w == "" || !isUpper(w[0]) {
		return false
	}
	for i := 1; i < len(w); i++ {
		if c := w[i]; !isUpper(c) && !(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// isIdent reports whether w is a protobuf identifier.
func isIdent(w string) bool {
	if w == "" || (w[0] >= '0' && w[0] <= '9') {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if !(c >= 'a' && c <= 'z') && !isUpper(c) && !(c >= '0' && c <= '9') && c != '_' {
			return false
		}
	}
	return true
}

// isEndpoint reports whether w is a full gRPC method name,
// "/pkg.Service/Method" with or without the leading slash; the package is
// required so that ordinary "a/b" words are not taken.
func isEndpoint(w string) bool {
	w = strings.TrimPrefix(w, "/")
	svc, meth, ok := strings.Cut(w, "/")
	if !ok || !isIdent(meth) || !isUpper(meth[0]) || !strings.Contains(svc, ".") {
		return false
	}
	for part, rest, more := "", svc, true; more; {
		part, rest, more = strings.Cut(rest, ".")
		if !isIdent(part) {
			return false
		}
	}
	return true
}

// normalizeEndpoint returns an endpoint scope as a full method name with
// its leading slash: "clarifai.api.V2/PostInputs" and " /clarifai.api.V2/PostInputs"
// become "/clarifai.api.V2/PostInputs", and a bare method name ("PostInputs")
// is taken to be one of clarifai.api.V2. Other text is returned trimmed.
func normalizeEndpoint(s string) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return s
	case isEndpoint(s):
		if s[0] != '/' {
			return "/" + s
		}
		return s
	case isIdent(s) && isUpper(s[0]):
		return defaultService + s
	}
	return s
}

// normalizeScope returns s with its first '_' turned into ':' when s has no
// ':' already ("Inputs_Add" → "Inputs:Add").
func normalizeScope(s string) string {
	if strings.IndexByte(s, ':') >= 0 {
		return s
	}
	if i := strings.IndexByte(s, '_'); i >= 0 {
		return s[:i] + ":" + s[i+1:]
	}
	return s
}

// sortUnique sorts list and removes duplicates in place; nil stays nil.
func sortUnique(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	slices.Sort(list)
	return slices.Compact(list)
}
