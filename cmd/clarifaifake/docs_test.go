package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth/internal/clarifaiapi"
)

// TestDocs: docs/testing.md and the usage text describe every flag, and
// each clarifaifake command line in the doc is one the command accepts.
func TestDocs(t *testing.T) {
	b, err := os.ReadFile("../../docs/testing.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	var help bytes.Buffer
	if code := run(t.Context(), []string{"-h"}, &help, &help); code != exitOK {
		t.Fatalf("-h: exit %d", code)
	}
	newFlagSet(&options{}).VisitAll(func(f *flag.Flag) {
		if !strings.Contains(doc, "| `-"+f.Name+" ") {
			t.Errorf("docs/testing.md: no row for -%s", f.Name)
		}
		if !strings.Contains(help.String(), "  -"+f.Name+" ") {
			t.Errorf("usage: no line for -%s", f.Name)
		}
	})
	files, err := clarifaiapi.Files()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for line := range strings.Lines(doc) {
		line = strings.TrimSpace(line)
		args, ok := strings.CutPrefix(line, "clarifaifake -")
		if !ok {
			_, args, ok = strings.Cut(line, "cmd/clarifaifake -")
		}
		if !ok {
			continue
		}
		args = "-" + args
		n++
		o, _, err := parse(strings.Fields(args), io.Discard)
		if err == nil {
			err = checkCredentials(o.creds, files)
		}
		if err != nil {
			t.Errorf("docs/testing.md: %q: %v", line, err)
		}
	}
	if n < 2 {
		t.Errorf("found %d clarifaifake command lines in docs/testing.md, want the 2 examples", n)
	}
}
