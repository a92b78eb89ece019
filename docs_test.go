package clarifaiauth

import (
	"go/ast"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// The documentation's Go snippets must compile. Rather than compile
// fragments, every snippet must appear, line for line (indentation aside),
// in a function of a test file somewhere in the module: an Example, which go
// test also runs, or a function of snippets_test.go, which compiles the
// snippets that call Clarifai's generated client against the test fixture
// (same package, message and method names). A snippet that stops compiling
// fails the build of its function, and one that drifts from it fails here.

// checkedDocs are the Markdown files whose Go snippets and links the tests
// below check: the README and the docs/ pages that document its sections.
var checkedDocs = []string{"README.md", "docs/README.md", "docs/client.md", "docs/scopes.md", "docs/performance.md",
	"docs/throttling.md", "docs/observability.md", "docs/security.md", "docs/troubleshooting.md", "docs/keycheck.md", "docs/testing.md"}

// TestReadmeSnippetsCompile checks every ```go block of checkedDocs.
func TestReadmeSnippetsCompile(t *testing.T) {
	funcs := testFuncs(t)
	files := testFiles(t)
	for _, name := range checkedDocs {
		text, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(text), -1)
		if name == "README.md" && len(blocks) == 0 {
			t.Fatal("README.md has no ```go block: is the pattern out of date?")
		}
		for _, b := range blocks {
			if strings.HasPrefix(b[1], "import (") || strings.HasPrefix(b[1], "type ") {
				// A whole file but its package clause, written for Clarifai's
				// client: it is a test file that imports the fixture instead.
				snippet := normalise(strings.ReplaceAll(b[1], clarifaiImport, fixtureImport))
				if !slices.ContainsFunc(files, func(f string) bool { return strings.Contains(f, snippet) }) {
					t.Errorf("%s: file snippet is no test file (copy it from one):\n%s", name, b[1])
				}
				continue
			}
			if !inSomeTestFunc(b[1], funcs) {
				t.Errorf("%s: snippet is in no test function (copy it from one):\n%s", name, b[1])
			}
		}
	}
}

// maxReadmeLines and maxPackageDocLines bound what a newcomer reads first.
const (
	maxReadmeLines     = 350
	maxPackageDocLines = 40
)

// TestReadmeLength: the README is read in minutes; details go to docs/.
func TestReadmeLength(t *testing.T) {
	text, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(text), "\n"); n > maxReadmeLines {
		t.Errorf("README.md has %d lines, more than %d: move details to docs/*.md", n, maxReadmeLines)
	}
}

// TestPackageDocLength: every package's doc comment, commands and internal
// packages included, fits in maxPackageDocLines lines; tables and long
// explanations go to docs/.
func TestPackageDocLength(t *testing.T) {
	docs := map[string]int{} // directory → lines of its package doc
	walkGo(t, false, func(path string, f *ast.File) {
		if f.Doc != nil {
			for _, c := range f.Doc.List { // the lines as written, blank ones included
				docs[filepath.Dir(path)] += strings.Count(c.Text, "\n") + 1
			}
		}
	})
	if len(docs) < 9 {
		t.Fatalf("found package docs in %d directories only: is the walk broken?", len(docs))
	}
	for dir, n := range docs {
		if n > maxPackageDocLines {
			t.Errorf("package doc of %s is %d lines, more than %d: move tables and long explanations to docs/*.md", dir, n, maxPackageDocLines)
		}
	}
}

// TestDocLinks: every relative link of checkedDocs names a file of the
// repository, and an anchor into a Markdown file names one of its headings.
func TestDocLinks(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	n := 0
	for _, name := range checkedDocs {
		text, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(text), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			n++
			file, anchor, _ := strings.Cut(target, "#")
			path := name
			if file != "" {
				path = filepath.Join(filepath.Dir(name), file)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s links to %s, which does not exist", name, target)
				continue
			}
			if anchor != "" && strings.HasSuffix(path, ".md") && !slices.Contains(headingAnchors(t, path), anchor) {
				t.Errorf("%s links to %s, but %s has no heading with that anchor (it has %v)", name, target, path, headingAnchors(t, path))
			}
		}
	}
	if n == 0 {
		t.Fatal("no relative link found: is the pattern out of date?")
	}
}

// headingAnchors returns the anchors GitHub gives the headings of a
// Markdown file: lower case, spaces as hyphens, punctuation dropped.
func headingAnchors(t *testing.T, path string) []string {
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	inCode := false
	for line := range strings.SplitSeq(string(text), "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
		}
		if inCode || !strings.HasPrefix(line, "#") {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#"))) {
			switch {
			case r == ' ' || r == '-':
				b.WriteRune('-')
			case r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		out = append(out, b.String())
	}
	return out
}

// The import path of Clarifai's generated client, and of the fixture that
// stands in for it in the module's tests.
const (
	clarifaiImport = `pb "github.com/Clarifai/clarifai-go-grpc/proto/clarifai/api"`
	fixtureImport  = `pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"`
)

// testFiles returns the normalised text of every test file of the module.
func testFiles(t *testing.T) []string {
	var out []string
	walkGo(t, true, func(path string, _ *ast.File) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, normalise(string(src)))
	})
	return out
}

// TestDocSnippetsCompile checks every code block in the doc comments of
// the module's non-test Go files that parses as Go statements or
// declarations.
func TestDocSnippetsCompile(t *testing.T) {
	funcs := testFuncs(t)
	var p comment.Parser
	n := 0
	walkGo(t, false, func(path string, f *ast.File) {
		for _, cg := range f.Comments {
			for _, blk := range p.Parse(cg.Text()).Content {
				code, ok := blk.(*comment.Code)
				if !ok {
					continue
				}
				if !isGo(code.Text) {
					// Shell commands, tables and sample output are not
					// Go; a block that looks like Go must parse.
					if looksLikeGo(code.Text) {
						t.Errorf("%s: doc comment snippet looks like Go but does not parse:\n%s", path, code.Text)
					}
					continue
				}
				n++
				if !inSomeTestFunc(code.Text, funcs) {
					t.Errorf("%s: doc comment snippet is in no test function:\n%s", path, code.Text)
				}
			}
		}
	})
	if n == 0 {
		t.Fatal("no Go snippet found in any doc comment: is the walk broken?")
	}
}

// testFuncs returns the normalised text of every function in the
// module's test files.
func testFuncs(t *testing.T) []string {
	var out []string
	walkGo(t, true, func(path string, _ *ast.File) {
		// Parsed again, with a file set of its own, to cut source text.
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			out = append(out, normalise(string(src[fset.Position(fd.Pos()).Offset:fset.Position(fd.End()).Offset])))
		}
	})
	if len(out) == 0 {
		t.Fatal("no test function found")
	}
	return out
}

// walkGo parses every Go file of the module, test files or the others.
func walkGo(t *testing.T, tests bool, fn func(path string, f *ast.File)) {
	t.Helper()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") != tests {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		if ast.IsGenerated(f) {
			return nil
		}
		fn(path, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// isGo reports whether text parses as Go declarations or statements.
func isGo(text string) bool {
	if _, err := parser.ParseFile(token.NewFileSet(), "", "package p\n"+text, 0); err == nil {
		return true
	}
	_, err := parser.ParseFile(token.NewFileSet(), "", "package p\nfunc _() {\n"+text+"\n}", 0)
	return err == nil
}

// looksLikeGo reports whether text has the marks of Go code: a short
// variable declaration, a function, a block.
func looksLikeGo(text string) bool {
	for _, mark := range []string{":=", "func ", ") {", "}\n"} {
		if strings.Contains(text, mark) {
			return true
		}
	}
	return false
}

// normalise drops blank lines and folds white space, so that indentation
// and gofmt's alignment of comments do not count.
func normalise(s string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(s, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			b.WriteString(strings.Join(f, " "))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func inSomeTestFunc(snippet string, funcs []string) bool {
	s := normalise(snippet)
	for _, e := range funcs {
		if strings.Contains(e, s) {
			return true
		}
	}
	return false
}
