package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestCheckedInTableIsGenerated: `go generate ./scopes` reproduces the
// checked-in code_table.go byte for byte, so the table cannot drift from
// the TSV kept beside it.
func TestCheckedInTableIsGenerated(t *testing.T) {
	const in = "testdata/clarifai-status-codes.tsv"
	tsv, err := os.ReadFile("../../" + in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := generate(tsv, in)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../code_table.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("scopes/code_table.go is not what the TSV generates: run `go generate ./scopes`")
	}
}

func TestParseRefuses(t *testing.T) {
	const ok = "1\tA_B\t\tfailure\tUnknown\n"
	tests := []struct{ desc, tsv, want string }{
		{"empty", "# only a comment\n", "no codes"},
		{"fields", "1\tA\tfailure\tUnknown\n", "fields"},
		{"number", "x\tA\t\tfailure\tUnknown\n", "number"},
		{"name", "1\ta-b\t\tfailure\tUnknown\n", "name"},
		{"deprecated column", "1\tA\tyes\tfailure\tUnknown\n", "deprecated column"},
		{"class", "1\tA\t\tbroken\tUnknown\n", "class"},
		{"grpc code", "1\tA\t\tfailure\tNope\n", "gRPC code"},
		{"ok with a failure code", "1\tA\t\tok\tInternal\n", "only a failure"},
		{"failure with OK", "1\tA\t\tfailure\tOK\n", "only a failure"},
		{"repeated name", ok + "2\tA_B\t\tfailure\tUnknown\n", "already"},
		{"shared number, other reading", ok + "1\tC\tdeprecated\tok\tOK\n", "not their reading"},
		{"shared number, both current", ok + "1\tC\t\tfailure\tUnknown\n", "neither is deprecated"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := generate([]byte(tc.tsv), "x.tsv")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("generate = %v, want an error about %q", err, tc.want)
			}
		})
	}
}

func TestCurrentNameFirst(t *testing.T) {
	rows, err := parse([]byte("7\tOLD\tdeprecated\tok\tOK\n3\tX\t\tfailure\tUnknown\n7\tNEW\t\tok\tOK\n"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rows {
		names = append(names, r.name)
	}
	if got := strings.Join(names, " "); got != "X NEW OLD" {
		t.Errorf("order = %s, want X NEW OLD", got)
	}
}
