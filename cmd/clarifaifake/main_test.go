package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/internal/clarifaiapi"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	allPAT     = "fake-pat-all-0123456789abcdef"   // every scope
	predictKey = "fake-key-predict-0123456789wxyz" // an API key that may only predict
)

var secrets = []string{allPAT, predictKey}

// lines is a writer that hands each line written to it to a reader.
type lines struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	all  []string
	next chan string
}

func newLines() *lines { return &lines{next: make(chan string, 1000)} }

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		line, err := l.buf.ReadString('\n')
		if err != nil {
			l.buf.WriteString(line) // an incomplete line waits for the rest
			return len(p), nil
		}
		line = strings.TrimSuffix(line, "\n")
		l.all = append(l.all, line)
		l.next <- line
	}
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.all, "\n")
}

// read returns the next line, failing the test if none comes in 5 s.
func (l *lines) read(t *testing.T) string {
	t.Helper()
	select {
	case line := <-l.next:
		return line
	case <-time.After(5 * time.Second):
		t.Fatal("no line in 5 s")
		return ""
	}
}

// noSecrets fails the test if text holds a secret.
func noSecrets(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s holds the secret %q:\n%s", what, s, text)
		}
	}
}

// serve runs the command in-process until the test ends, and returns the
// API base it printed and its stdout.
func serve(t *testing.T, args ...string) (string, *lines) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := newLines(), newLines()
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, stdout, stderr) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("exit %d; stderr:\n%s", code, stderr)
		}
		noSecrets(t, "stdout", stdout.String())
		noSecrets(t, "stderr", stderr.String())
	})
	first := stdout.read(t)
	base, ok := strings.CutPrefix(first, "CLARIFAI_API_BASE=http://127.0.0.1:")
	if !ok {
		t.Fatalf("first line %q", first)
	}
	return "http://127.0.0.1:" + base, stdout
}

// client connects to base as a program would: NewClient reading
// CLARIFAI_API_BASE and CLARIFAI_PAT.
func client(t *testing.T, base, pat string) *grpc.ClientConn {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	t.Setenv("CLARIFAI_API_BASE", base)
	t.Setenv("CLARIFAI_PAT", pat)
	t.Setenv("CLARIFAI_API_KEY", "")
	t.Setenv("CLARIFAI_SESSION_TOKEN", "")
	t.Setenv("CLARIFAI_USER_ID", "me")
	t.Setenv("CLARIFAI_APP_ID", "my-app")
	conn, err := clarifaiauth.NewClient(
		clarifaiauth.WithoutRetry(),
		clarifaiauth.WithInterceptorOptions(interceptor.AllowInsecureTransport()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// invoke calls a unary V2 method with an empty request built from the
// embedded descriptors.
func invoke(t *testing.T, conn *grpc.ClientConn, method string) error {
	t.Helper()
	files, err := clarifaiapi.Files()
	if err != nil {
		t.Fatal(err)
	}
	d, err := files.FindDescriptorByName(protoreflect.FullName("clarifai.api.V2." + method))
	if err != nil {
		t.Fatal(err)
	}
	md := d.(protoreflect.MethodDescriptor)
	req := dynamicpb.NewMessage(md.Input())
	resp := dynamicpb.NewMessage(md.Output())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return conn.Invoke(ctx, "/clarifai.api.V2/"+method, proto.Message(req), resp)
}

// TestServesEveryMethodWithScopes: a real method the fixture lacks is
// served, scopes given on the command line are enforced, and each call is
// printed on one line with the key redacted.
func TestServesEveryMethodWithScopes(t *testing.T) {
	base, stdout := serve(t, "-pat", allPAT, "-key", predictKey+"=Apps:Get,Concepts:Get,Models:Get,Predict")

	if err := invoke(t, client(t, base, allPAT), "PostWorkflowResults"); err != nil {
		t.Fatalf("PostWorkflowResults with every scope: %v", err)
	}
	line := stdout.read(t)
	if !strings.Contains(line, ` /clarifai.api.V2/PostWorkflowResults authorization="Key …cdef"`) || !strings.Contains(line, "codes=[10000]") {
		t.Errorf("call line %q", line)
	}

	conn := client(t, base, predictKey)
	if err := invoke(t, conn, "PostModelOutputs"); err != nil {
		t.Fatalf("PostModelOutputs with the predict key: %v", err)
	}
	if line := stdout.read(t); !strings.Contains(line, "/PostModelOutputs") || !strings.Contains(line, "codes=[10000]") {
		t.Errorf("call line %q", line)
	}
	err := invoke(t, conn, "PostWorkflowResults")
	var se *scopes.Error
	if !errors.As(err, &se) || se.Code != 11007 {
		t.Fatalf("PostWorkflowResults with the predict key: %v, want CONN_INSUFFICIENT_SCOPES", err)
	}
	if line := stdout.read(t); !strings.Contains(line, `"Key …wxyz"`) || !strings.Contains(line, "codes=[11007]") {
		t.Errorf("call line %q", line)
	}
	// An API key may not call PATAuth methods.
	if err := invoke(t, conn, "ListApps"); !errors.As(err, &se) || se.Code != 11200 {
		t.Errorf("ListApps with an API key: %v, want CONN_AUTH_METHOD_DISABLED", err)
	}
}

// TestRate: past -rate calls a second, calls are throttled, and the line
// says so. At 0.01 a second the bucket holds one call and refills in 100 s,
// so the second call is refused however slow the machine.
func TestRate(t *testing.T) {
	base, stdout := serve(t, "-pat", allPAT, "-rate", "0.01")
	conn := client(t, base, allPAT)
	if err := invoke(t, conn, "ListModels"); err != nil {
		t.Fatal(err)
	}
	stdout.read(t)
	var se *scopes.Error
	if err := invoke(t, conn, "ListModels"); !errors.As(err, &se) || se.Code != 11005 {
		t.Fatalf("second call: %v, want CONN_THROTTLED", err)
	}
	if line := stdout.read(t); !strings.Contains(line, "codes=[11005]") {
		t.Errorf("line %q", line)
	}
}

// TestSecretsInOtherHeaders: a known secret a client sends in any header is
// redacted in the call line too.
func TestSecretsInOtherHeaders(t *testing.T) {
	base, stdout := serve(t, "-pat", allPAT)
	conn, err := grpc.NewClient(strings.TrimPrefix(base, "http://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	files, err := clarifaiapi.Files()
	if err != nil {
		t.Fatal(err)
	}
	d, err := files.FindDescriptorByName("clarifai.api.V2.ListModels")
	if err != nil {
		t.Fatal(err)
	}
	md := d.(protoreflect.MethodDescriptor)
	ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Key "+allPAT, "x-debug", "sent "+allPAT+" again")
	if err := conn.Invoke(ctx, "/clarifai.api.V2/ListModels", dynamicpb.NewMessage(md.Input()), dynamicpb.NewMessage(md.Output())); err != nil {
		t.Fatal(err)
	}
	if line := stdout.read(t); !strings.Contains(line, `x-debug="sent …cdef again"`) {
		t.Errorf("line %q", line)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no credential", nil, "give at least one credential: -pat SECRET"},
		{"empty secret", []string{"-pat", ""}, "invalid -pat: empty secret"},
		{"secret with a space", []string{"-key", "abc def"}, "invalid -key: a secret is 1 to 128 printable ASCII characters"},
		{"secret with a quote", []string{"-pat", `abc"def`}, "invalid -pat: a secret is"},
		{"long secret", []string{"-pat", strings.Repeat("a", 129)}, "invalid -pat: a secret is"},
		{"unknown scope", []string{"-pat", allPAT + "=Inputs:Ad"}, `-pat …cdef: "Inputs:Ad" is not a scope`},
		{"same secret twice", []string{"-pat", allPAT, "-key", allPAT}, "-key …cdef: the same secret is given twice"},
		{"negative rate", []string{"-pat", allPAT, "-rate", "-1"}, "-rate -1"},
		{"NaN rate", []string{"-pat", allPAT, "-rate", "NaN"}, "-rate NaN"},
		{"argument", []string{"-pat", allPAT, "serve"}, `unexpected argument "serve"`},
		{"unknown flag", []string{"-pat", allPAT, "-port", "80"}, "-port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), tc.args, &stdout, &stderr)
			if code != exitUsage || stdout.Len() != 0 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stdout %q, stderr:\n%s", code, stdout.String(), stderr.String())
			}
			noSecrets(t, "stderr", stderr.String())
			for i := 1; i < len(tc.args); i++ { // whatever was given as a secret
				if a := tc.args[i]; (tc.args[i-1] == "-pat" || tc.args[i-1] == "-key") && a != "" && strings.Contains(stderr.String(), a) {
					t.Errorf("stderr holds %q:\n%s", a, stderr.String())
				}
			}
		})
	}
}

// TestSecretWithEquals: a secret ending in base64 padding is a secret, not
// a secret with scopes.
func TestSecretWithEquals(t *testing.T) {
	var creds []credential
	c := credList{"-pat", &creds}
	for _, v := range []string{"abc==", "abc=Predict,Inputs:Add", "a=b=c+"} {
		if err := c.Set(v); err != nil {
			t.Fatal(err)
		}
	}
	want := []credential{
		{flag: "-pat", secret: "abc=="},
		{flag: "-pat", secret: "abc", scopes: []string{"Predict", "Inputs:Add"}},
		{flag: "-pat", secret: "a=b=c+"},
	}
	for i, w := range want {
		if creds[i].secret != w.secret || strings.Join(creds[i].scopes, ",") != strings.Join(w.scopes, ",") || (creds[i].scopes == nil) != (w.scopes == nil) {
			t.Errorf("%d: %+v, want %+v", i, creds[i], w)
		}
	}
}

// TestListenError: a port in use is an error naming -addr, exit 1.
func TestListenError(t *testing.T) {
	base, _ := serve(t, "-pat", allPAT)
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"-pat", allPAT, "-addr", strings.TrimPrefix(base, "http://")}, &stdout, &stderr)
	if code != exitError || stdout.Len() != 0 || !strings.Contains(stderr.String(), "-addr 127.0.0.1:") {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", code, stdout.String(), stderr.String())
	}
}

// TestBinary builds the command, starts it, calls it through NewClient with
// the API base it printed, and stops it with SIGTERM: exit status 0.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	if runtime.GOOS == "windows" {
		t.Skip("SIGTERM")
	}
	bin := filepath.Join(t.TempDir(), "clarifaifake")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-pat", allPAT)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() // if the test fails before SIGTERM

	out := newLines()
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(out, stdout)
	}()
	first := out.read(t)
	base, ok := strings.CutPrefix(first, "CLARIFAI_API_BASE=")
	if !ok || !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("first line %q", first)
	}
	if err := invoke(t, client(t, base, allPAT), "PostModelOutputs"); err != nil {
		t.Fatalf("PostModelOutputs: %v", err)
	}
	if line := out.read(t); !strings.Contains(line, "/clarifai.api.V2/PostModelOutputs") || !strings.Contains(line, `"Key …cdef"`) {
		t.Errorf("call line %q", line)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-copied
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGTERM: %v; stderr:\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "clarifaifake: stopped") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	noSecrets(t, "stdout", out.String())
	noSecrets(t, "stderr", stderr.String())
}
