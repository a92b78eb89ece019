package throttle_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoRedisUnlessThrottle: only programs that import package throttle
// link go-redis; the library's other packages and keycheck do not.
func TestNoRedisUnlessThrottle(t *testing.T) {
	deps := func(pkgs ...string) string {
		t.Helper()
		out, err := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", strings.Join(pkgs, " "), err, out)
		}
		return string(out)
	}
	redisPkgs := []string{"github.com/redis/go-redis", "github.com/go-redis/redis_rate", "github.com/grpc-keyauth/clarifaiauth/throttle"}
	if d := deps("github.com/grpc-keyauth/clarifaiauth/throttle"); !strings.Contains(d, redisPkgs[0]) {
		t.Fatalf("go list -deps of package throttle lists no go-redis: the check below would prove nothing\n%s", d)
	}
	root := "github.com/grpc-keyauth/clarifaiauth"
	for _, pkg := range []string{root, root + "/interceptor", root + "/clarifaifake", root + "/cmd/keycheck"} {
		d := deps(pkg)
		for _, p := range redisPkgs {
			if strings.Contains(d, p) {
				t.Errorf("%s depends on %s", pkg, p)
			}
		}
	}
}
