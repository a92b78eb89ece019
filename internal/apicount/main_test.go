package main

import "testing"

// packages are the library's public packages, from this directory.
var packages = []string{"../..", "../../keysource", "../../interceptor", "../../scopes",
	"../../clarifaifake", "../../clarifaiotel", "../../preflight", "../../throttle"}

// TestDocRegister: the doc comments of the public names say what a name
// does and promises in a few lines; costs and internals go to docs/.
func TestDocRegister(t *testing.T) {
	const maxP90, maxLines = 6, 15
	docs, err := docComments(packages)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) < 100 {
		t.Fatalf("found %d doc comments: is the walk broken?", len(docs))
	}
	median, p90, longest := quantiles(docs)
	t.Logf("%d doc comments: median %d lines, p90 %d, longest %d", len(docs), median, p90, longest)
	if p90 > maxP90 {
		t.Errorf("p90 of doc comments is %d lines, more than %d", p90, maxP90)
	}
	for _, d := range docs {
		if d.lines > maxLines {
			t.Errorf("%s %s: doc comment of %d lines, more than %d", d.dir, d.name, d.lines, maxLines)
		}
	}
}

// TestAPISize: the public API stays within the size CHANGELOG.md states.
func TestAPISize(t *testing.T) {
	const maxAll, maxCore, maxFake = 185, 110, 38
	all, core := 0, 0
	for i, dir := range packages {
		n, err := count(dir)
		if err != nil {
			t.Fatal(err)
		}
		all += n
		if i < 4 {
			core += n
		}
		if dir == "../../clarifaifake" && n > maxFake {
			t.Errorf("clarifaifake exports %d names, more than %d", n, maxFake)
		}
	}
	if all > maxAll || core > maxCore {
		t.Errorf("the eight packages export %d names (at most %d), the core four %d (at most %d)", all, maxAll, core, maxCore)
	}
}

func TestQuantiles(t *testing.T) {
	var docs []docComment
	for i := 1; i <= 10; i++ {
		docs = append(docs, docComment{lines: 11 - i})
	}
	if m, p, l := quantiles(docs); m != 5 || p != 9 || l != 10 {
		t.Errorf("quantiles of 1..10 = %d, %d, %d; want 5, 9, 10", m, p, l)
	}
}
