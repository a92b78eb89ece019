package scopename

import (
	"strings"

	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
)

// Bounds on parsing server text for scopes: a hostile status costs at most
// this much work, and yields at most this much.
const (
	MaxParseText = 16 << 10 // bytes of server text read, all texts together
	MaxParsed    = 1024     // scopes, and endpoints, collected before sorting
	maxItem      = 256      // a longer word is neither a scope nor an endpoint
)

// ParseMissing extracts the scopes and endpoints named in texts, Clarifai
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
// duplicates; either may be nil. It reads at most MaxParseText bytes in all,
// returns at most MaxParsed of each, ignores words longer than maxItem, and
// never panics.
func ParseMissing(texts ...string) (scopes, endpoints []string) {
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
			if len(scopes) < MaxParsed {
				scopes = append(scopes, Scope(w))
			}
			inScopes, listItems = true, listItems+1
		case isSingleScope(w) && (inScopes || bracket >= 0):
			if len(scopes) < MaxParsed {
				scopes = append(scopes, w)
			}
			listItems++
		case IsEndpoint(w):
			if len(endpoints) < MaxParsed {
				endpoints = append(endpoints, Endpoint(w))
			}
			listItems++
		case inEndpoints && IsIdent(w) && IsUpper(w[0]):
			if len(endpoints) < MaxParsed {
				endpoints = append(endpoints, wire.ServiceV2+w)
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
	return SortUnique(scopes), SortUnique(endpoints)
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
// most MaxParseText bytes in all. ':' '_' '/' and '.' stay inside words; a
// trailing '.' ends a sentence, and so does the end of each text.
func tokenize(texts []string) []token {
	var toks []token
	left := MaxParseText
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
	if IsUpper(c) {
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
	if w == "" || !IsUpper(w[0]) {
		return false
	}
	for i := 1; i < len(w); i++ {
		if c := w[i]; !IsUpper(c) && !(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// prefix returns s cut to at most n bytes.
func prefix(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
