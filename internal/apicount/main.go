// Command apicount counts the exported identifiers of Go packages, so that
// the size of the library's API can be tracked (see CHANGELOG.md):
//
//	go run ./internal/apicount . ./keysource ./interceptor ./scopes
//
// It counts exported constants, variables, functions, types, methods of
// exported types and exported fields of exported structs, and the exported
// methods of exported interfaces; test files are not read.
//
// With -doc it reports instead the lengths in lines of the doc comments of
// those names (median, p90, longest) and lists those over -max lines:
//
//	go run ./internal/apicount -doc -max 6 . ./keysource ./interceptor
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	docMode := flag.Bool("doc", false, "report doc comment lengths instead of counts")
	maxLines := flag.Int("max", 6, "with -doc, list doc comments longer than this")
	flag.Parse()
	dirs := flag.Args()
	if len(dirs) == 0 {
		dirs = []string{"."}
	}
	if *docMode {
		if err := docLengths(dirs, *maxLines); err != nil {
			fmt.Fprintln(os.Stderr, "apicount:", err)
			os.Exit(2)
		}
		return
	}
	total := 0
	for _, dir := range dirs {
		n, err := count(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "apicount:", err)
			os.Exit(2)
		}
		fmt.Printf("%-20s %d\n", dir, n)
		total += n
	}
	if len(dirs) > 1 {
		fmt.Printf("%-20s %d\n", "total", total)
	}
}

func count(dir string) (int, error) {
	pkgs, fset, err := parseDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, files := range pkgs {
		d, err := doc.NewFromFiles(fset, files, dir)
		if err != nil {
			return 0, err
		}
		for _, v := range append(d.Consts, d.Vars...) {
			n += len(v.Names)
		}
		n += len(d.Funcs)
		for _, t := range d.Types {
			n++
			for _, v := range append(t.Consts, t.Vars...) {
				n += len(v.Names)
			}
			n += len(t.Funcs) + len(t.Methods)
			for _, spec := range t.Decl.Specs {
				ts, ok := spec.(*ast.TypeSpec)
				if !ok {
					continue
				}
				switch x := ts.Type.(type) {
				case *ast.StructType:
					n += exportedFields(x.Fields)
				case *ast.InterfaceType:
					n += exportedFields(x.Methods)
				}
			}
		}
	}
	return n, nil
}

func exportedFields(fl *ast.FieldList) int {
	n := 0
	for _, f := range fl.List {
		for _, name := range f.Names {
			if name.IsExported() {
				n++
			}
		}
	}
	return n
}

// parseDir parses the non-test Go files of dir, grouped by package name
// (a directory may hold a package and an ignored program).
func parseDir(dir string) (map[string][]*ast.File, *token.FileSet, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	fset := token.NewFileSet()
	pkgs := make(map[string][]*ast.File)
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
		if err != nil {
			return nil, nil, err
		}
		pkgs[f.Name.Name] = append(pkgs[f.Name.Name], f)
	}
	return pkgs, fset, nil
}

// docLengths prints the median, p90 and longest doc comment, in lines, of
// the exported names of dirs (package docs aside), and each one over max.
func docLengths(dirs []string, max int) error {
	docs, err := docComments(dirs)
	if err != nil {
		return err
	}
	for _, d := range docs {
		if d.lines > max {
			fmt.Printf("%-20s %-40s %d lines\n", d.dir, d.name, d.lines)
		}
	}
	median, p90, longest := quantiles(docs)
	fmt.Printf("doc comments: %d, median %d lines, p90 %d, longest %d\n", len(docs), median, p90, longest)
	return nil
}

// docComment is the doc comment of one exported name.
type docComment struct {
	dir, name string
	lines     int
}

// docComments returns the doc comments of the exported names of dirs:
// constants and variables (one per group), functions, types and methods.
func docComments(dirs []string) ([]docComment, error) {
	var out []docComment
	for _, dir := range dirs {
		pkgs, fset, err := parseDir(dir)
		if err != nil {
			return nil, err
		}
		for _, files := range pkgs {
			d, err := doc.NewFromFiles(fset, files, dir)
			if err != nil {
				return nil, err
			}
			add := func(name, text string) {
				n := 0
				if text = strings.TrimSpace(text); text != "" {
					n = strings.Count(text, "\n") + 1
				}
				out = append(out, docComment{dir, name, n})
			}
			for _, v := range append(d.Consts, d.Vars...) {
				add(strings.Join(v.Names, ","), v.Doc)
			}
			for _, f := range d.Funcs {
				add(f.Name, f.Doc)
			}
			for _, t := range d.Types {
				add(t.Name, t.Doc)
				for _, v := range append(t.Consts, t.Vars...) {
					add(strings.Join(v.Names, ","), v.Doc)
				}
				for _, f := range t.Funcs {
					add(f.Name, f.Doc)
				}
				for _, f := range t.Methods {
					add(t.Name+"."+f.Name, f.Doc)
				}
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no exported names in %v", dirs)
	}
	return out, nil
}

// quantiles returns the median, p90 and longest length of docs (nearest rank).
func quantiles(docs []docComment) (median, p90, longest int) {
	lens := make([]int, len(docs))
	for i, d := range docs {
		lens[i] = d.lines
	}
	slices.Sort(lens)
	at := func(q float64) int { return lens[int(math.Ceil(q*float64(len(lens))))-1] }
	return at(0.5), at(0.9), lens[len(lens)-1]
}
