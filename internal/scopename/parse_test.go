package scopename

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
)

func TestParseMissing(t *testing.T) {
	tests := []struct {
		desc, text     string
		scopes, endpts []string
	}{
		{"empty", "", nil, nil},
		{"no scopes in a sentence", "API key not found. Please check the key and try Again.", nil, nil},
		{"bracketed colon list", "Missing scopes: [Inputs:Add, Predict]", []string{"Inputs:Add", "Predict"}, nil},
		{"underscore spelling", "missing scopes: Inputs_Add Models_Get", []string{"Inputs:Add", "Models:Get"}, nil},
		{"space separated, no brackets", "The key lacks the following scopes Inputs:Add Concepts:Get Search", []string{"Concepts:Get", "Inputs:Add", "Search"}, nil},
		{"comma and and", "Insufficient scopes: Inputs:Add, Predict and Search.", []string{"Inputs:Add", "Predict", "Search"}, nil},
		{"single word scopes need a list", "Predict failed because Search is down. All good.", nil, nil},
		{"single word after scope keyword", "requires scope All", []string{"All"}, nil},
		{"phrase between keyword and list", "scopes are missing: Predict", []string{"Predict"}, nil},
		{"list ends at ordinary word", "missing scopes Inputs:Add then Predict was tried", []string{"Inputs:Add"}, nil},
		{"sentence end ends list", "Missing scopes Inputs:Add. Predict is a word here", []string{"Inputs:Add"}, nil},
		{"bracket with a pair scope", "need [Predict, Models:Get]", []string{"Models:Get", "Predict"}, nil},
		{"bracket without pair scope", "see [Predict]", nil, nil},
		{"quoted scopes", `missing scopes ["Inputs:Add", 'Inputs_Get']`, []string{"Inputs:Add", "Inputs:Get"}, nil},
		{"duplicates", "scopes Inputs:Add Inputs_Add Inputs:Add", []string{"Inputs:Add"}, nil},
		{"full endpoint", "or endpoints: [/clarifai.api.V2/PostInputs]", nil, []string{"/clarifai.api.V2/PostInputs"}},
		{"endpoint without slash", "endpoint clarifai.api.V2/PostModelOutputs", nil, []string{"/clarifai.api.V2/PostModelOutputs"}},
		{"bare endpoint after keyword", "missing endpoints: PostInputs, PostModelOutputs", nil, []string{"/clarifai.api.V2/PostInputs", "/clarifai.api.V2/PostModelOutputs"}},
		{"bare name without keyword", "PostInputs failed", nil, nil},
		{"both", "Insufficient scopes. Missing scopes: [Inputs:Add]; missing endpoints: [/clarifai.api.V2/PostInputs]",
			[]string{"Inputs:Add"}, []string{"/clarifai.api.V2/PostInputs"}},
		{"multi-line details", "key 1234 lacks scopes\nInputs:Add\nModels:Train", []string{"Inputs:Add", "Models:Train"}, nil},
		{"scope in parentheses", "Permission denied (missing scope Models:Train)", []string{"Models:Train"}, nil},
		{"ordinary slash words", "and/or input/output http://x/y", nil, nil},
		{"snake words are not scopes", "field user_app_id is_required", nil, nil},
		{"lower case pair is not a scope", "ratio 3:4 time 10:30 key:value", nil, nil},
		{"trailing colon on scope", "Missing scopes Inputs:Add: please add it", []string{"Inputs:Add"}, nil},
		{"keyword glued to list", "scopes:Predict,Inputs_Add endpoints:PostInputs", []string{"Inputs:Add", "Predict"}, []string{"/clarifai.api.V2/PostInputs"}},
		{"key=value form", "missing_scopes=Inputs:Add,Predict", []string{"Inputs:Add", "Predict"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			s, e := ParseMissing(tc.text)
			if !slices.Equal(s, tc.scopes) {
				t.Errorf("scopes = %q, want %q", s, tc.scopes)
			}
			if !slices.Equal(e, tc.endpts) {
				t.Errorf("endpoints = %q, want %q", e, tc.endpts)
			}
		})
	}
}

var (
	scopeRE    = regexp.MustCompile(`^(All|Predict|Search|[A-Z][A-Za-z0-9]*:[A-Z][A-Za-z0-9]*)$`)
	endpointRE = regexp.MustCompile(`^/([A-Za-z_][A-Za-z0-9_]*\.)+[A-Za-z_][A-Za-z0-9_]*/[A-Z][A-Za-z0-9_]*$`)
)

// checkNormalised fails t unless the output of ParseMissing is in normal form.
func checkNormalised(t *testing.T, text string, scopes, endpoints []string) {
	t.Helper()
	if !slices.IsSorted(scopes) || len(slices.Compact(slices.Clone(scopes))) != len(scopes) {
		t.Fatalf("ParseMissing(%q) scopes not sorted/unique: %q", text, scopes)
	}
	if !slices.IsSorted(endpoints) || len(slices.Compact(slices.Clone(endpoints))) != len(endpoints) {
		t.Fatalf("ParseMissing(%q) endpoints not sorted/unique: %q", text, endpoints)
	}
	for _, s := range scopes {
		if !scopeRE.MatchString(s) {
			t.Fatalf("ParseMissing(%q) returned scope %q", text, s)
		}
	}
	for _, e := range endpoints {
		if !endpointRE.MatchString(e) {
			t.Fatalf("ParseMissing(%q) returned endpoint %q", text, e)
		}
	}
}

func FuzzParseMissing(f *testing.F) {
	for _, s := range []string{
		"",
		"Missing scopes: [Inputs:Add, Predict]",
		"or endpoints: [/clarifai.api.V2/PostInputs]",
		"missing endpoints: PostInputs PostModelOutputs",
		"scopes Inputs_Add Models_Get All",
		"[[[Inputs:Add]]]]] ((( scope:",
		"Inputs:Add:Get _:_ :A A: /a.b/C a.b/ /.X/Y",
		"\xff\xfe scopes \x00 Predict",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		scopes, endpoints := ParseMissing(text)
		checkNormalised(t, text, scopes, endpoints)
		if len(scopes) > MaxParsed || len(endpoints) > MaxParsed {
			t.Fatalf("ParseMissing(%q): %d scopes, %d endpoints", text, len(scopes), len(endpoints))
		}
		// What was found in text is found again when listed plainly.
		list := "scopes: " + strings.Join(scopes, ", ") + "; endpoints: " + strings.Join(endpoints, " ")
		if len(list) > MaxParseText {
			return // past what parseMissing reads
		}
		s2, e2 := ParseMissing(list)
		if !slices.Equal(s2, scopes) || !slices.Equal(e2, endpoints) {
			t.Fatalf("round trip of %q: got %q %q, want %q %q", text, s2, e2, scopes, endpoints)
		}
	})
}

func TestParseMissingNesting(t *testing.T) {
	// Deeply nested and unclosed brackets, within the parse bound.
	text := strings.Repeat("[ Predict ", 700) + strings.Repeat("scopes Inputs:Add ] ", 400)
	if len(text) > MaxParseText {
		t.Fatalf("test text of %d bytes is past the parse bound", len(text))
	}
	scopes, endpoints := ParseMissing(text)
	if !slices.Equal(scopes, []string{"Inputs:Add", "Predict"}) || endpoints != nil {
		t.Fatalf("got %q %q", scopes, endpoints)
	}
}

// TestParseMissingBounds: hostile text yields a bounded result for bounded
// work: only the first MaxParseText bytes are read, at most MaxParsed items
// come back, and no item is longer than maxItem.
func TestParseMissingBounds(t *testing.T) {
	var many strings.Builder
	many.WriteString("missing scopes: ")
	for i := range 276_000 {
		fmt.Fprintf(&many, "Scope%d:Get ", i)
	}
	long := "missing scopes: A" + strings.Repeat("a", 10<<20) + ":Get Predict; endpoints /a.B/" + strings.Repeat("C", 300)
	for name, text := range map[string]string{"276k scopes": many.String(), "10 MB scope": long} {
		allocs := testing.AllocsPerRun(3, func() { ParseMissing(text, text) })
		scopes, endpoints := ParseMissing(text, text)
		if len(scopes) > MaxParsed || len(endpoints) > MaxParsed {
			t.Errorf("%s: %d scopes, %d endpoints", name, len(scopes), len(endpoints))
		}
		for _, s := range append(scopes, endpoints...) {
			if len(s) > maxItem+len(wire.ServiceV2) {
				t.Errorf("%s: item of %d bytes", name, len(s))
			}
		}
		// Bounded by the bytes read, not by the input.
		if allocs > 3*MaxParsed {
			t.Errorf("%s: %v allocations per parse", name, allocs)
		}
	}
	if s, _ := ParseMissing(long); !slices.Equal(s, nil) {
		t.Errorf("the 10 MB scope: got %q", s)
	}
}
