package clarifaiapi_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const (
	module = "github.com/grpc-keyauth/clarifaiauth"
	self   = module + "/internal/clarifaiapi"
)

// TestLibraryDoesNotLinkDescriptors: no library package (every package of
// the module but the commands and internal ones) links the embedded
// descriptors, while keycheck and clarifaifake's command do.
func TestLibraryDoesNotLinkDescriptors(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, module+"/...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	libraries := 0
	linked := make(map[string]bool)
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		pkg, deps := f[0], f[1:]
		if slices.Contains(deps, self) {
			linked[pkg] = true
		}
		if strings.HasPrefix(pkg, module+"/cmd/") || strings.HasPrefix(pkg, module+"/internal/") {
			continue
		}
		libraries++
		if linked[pkg] {
			t.Errorf("library package %s links %s", pkg, self)
		}
	}
	if libraries < 5 {
		t.Errorf("go list found %d library packages; want the module's packages", libraries)
	}
	for _, cmd := range []string{"/cmd/keycheck", "/cmd/clarifaifake"} {
		if !linked[module+cmd] {
			t.Errorf("%s does not link %s", module+cmd, self)
		}
	}
}
