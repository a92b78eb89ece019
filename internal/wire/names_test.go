package wire

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// stillOwn are the packages that still spell some of these names
// themselves; each leaves the list when it moves to this package's.
var stillOwn = []string{"interceptor", "throttle"}

// TestNamesDeclaredOnce: outside this package and the generated code
// table, no non-test Go file of the module spells Clarifai's header names,
// method and status type names or the status codes the module acts on.
func TestNamesDeclaredOnce(t *testing.T) {
	strs := map[string]string{
		HeaderAuthorization: "HeaderAuthorization", HeaderSessionToken: "HeaderSessionToken",
		HeaderRequestTag: "HeaderRequestTag", MethodMyScopes: "MethodMyScopes",
		StatusTypeName: "StatusTypeName", ServiceV2: "ServiceV2",
	}
	ints := map[string]string{}
	for v, name := range map[int]string{
		CodeTryAgain: "CodeTryAgain", CodeAccountIssues: "CodeAccountIssues", CodeTokenInvalid: "CodeTokenInvalid",
		CodeCredentialsInvalid: "CodeCredentialsInvalid", CodeExceedHourlyLimit: "CodeExceedHourlyLimit",
		CodeExceedMonthlyLimit: "CodeExceedMonthlyLimit", CodeConnThrottled: "CodeConnThrottled",
		CodeExceedsLimits: "CodeExceedsLimits", CodeInsufficientScopes: "CodeInsufficientScopes",
		CodeKeyInvalid: "CodeKeyInvalid", CodeKeyNotFound: "CodeKeyNotFound",
		CodeAuthMethodDisabled: "CodeAuthMethodDisabled", CodeModelBusyPleaseRetry: "CodeModelBusyPleaseRetry",
		CodeRunnerNeedsRetry: "CodeRunnerNeedsRetry", CodeRPCRequestQueueFull: "CodeRPCRequestQueueFull",
		CodeRPCServerUnavailable: "CodeRPCServerUnavailable", CodeServerError: "CodeServerError",
	} {
		ints[strconv.Itoa(v)] = name
	}
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			for _, own := range append(stillOwn, "internal/wire", "internal/clarifaitest", "testdata") {
				if rel == own || strings.HasSuffix(rel, "/testdata") {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		if ast.IsGenerated(f) {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok {
				return true
			}
			var name string
			switch lit.Kind {
			case token.STRING:
				s, _ := strconv.Unquote(lit.Value)
				name = strs[s]
			case token.INT:
				name = ints[lit.Value]
			}
			if name != "" {
				t.Errorf("%s: %s spells wire.%s", fset.Position(lit.Pos()), lit.Value, name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestIsConnCode(t *testing.T) {
	for code, want := range map[int32]bool{10000: false, 10999: false, 11000: true, 11005: true, 11200: true, 11999: true, 12000: false, 21200: false} {
		if got := IsConnCode(code); got != want {
			t.Errorf("IsConnCode(%d) = %v, want %v", code, got, want)
		}
	}
}
