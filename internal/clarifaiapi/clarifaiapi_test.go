package clarifaiapi_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpc-keyauth/clarifaiauth/internal/clarifaiapi"
	"github.com/grpc-keyauth/clarifaiauth/internal/fakeapi"
	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
)

// tsvMethod is one row of testdata/clarifai-v2-methods.tsv, a table of
// Clarifai's V2 methods at 12.4.0 made apart from the descriptor set.
type tsvMethod struct {
	authType                   string
	clientStream, serverStream bool
	scopes                     []string
	response                   string
}

func readTSV(t *testing.T) map[string]tsvMethod {
	t.Helper()
	f, err := os.Open("testdata/clarifai-v2-methods.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := make(map[string]tsvMethod)
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 7 {
			t.Fatalf("bad row %q", sc.Text())
		}
		var scopes []string
		if c[4] != "" {
			scopes = strings.Split(c[4], ",")
		}
		// The table lists a method's scopes as its option does, where two
		// methods repeat one: compare sets.
		slices.Sort(scopes)
		scopes = slices.Compact(scopes)
		want[c[0]] = tsvMethod{authType: c[1], clientStream: c[2] == "true", serverStream: c[3] == "true", scopes: scopes, response: c[5]}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return want
}

// authTypes spells clarifai.auth.types.AuthType as the table does.
var authTypes = map[int32]string{0: "undef", 1: "NoAuth", 2: "KeyAuth", 3: "SessionTokenAuth", 4: "AdminAuth", 5: "PATAuth"}

// TestEveryMethod: the embedded descriptors hold exactly the table's 273
// V2 methods, each with its streaming kind, response type, auth type and
// scopes, read from the raw method options.
func TestEveryMethod(t *testing.T) {
	want := readTSV(t)
	if len(want) != 273 {
		t.Fatalf("table has %d methods, want 273", len(want))
	}
	files, err := clarifaiapi.Files()
	if err != nil {
		t.Fatal(err)
	}
	d, err := files.FindDescriptorByName("clarifai.api.V2")
	if err != nil {
		t.Fatal(err)
	}
	e, err := files.FindDescriptorByName("clarifai.auth.scope.S")
	if err != nil {
		t.Fatal(err)
	}
	scopeEnum := e.(protoreflect.EnumDescriptor)
	methods := d.(protoreflect.ServiceDescriptor).Methods()
	if methods.Len() != len(want) {
		t.Errorf("V2 has %d methods, want %d", methods.Len(), len(want))
	}
	for i := range methods.Len() {
		md := methods.Get(i)
		name := "/clarifai.api.V2/" + string(md.Name())
		w, ok := want[name]
		if !ok {
			t.Errorf("%s: not in the table", name)
			continue
		}
		raw, err := wire.OptionBytes(md.Options())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		at, _ := wire.EnumList(raw, wire.OptAuthType)
		nums, _ := wire.EnumList(raw, wire.OptDependingScopes)
		var scopes []string
		for _, n := range nums {
			v := scopeEnum.Values().ByNumber(protoreflect.EnumNumber(n))
			if v == nil {
				t.Fatalf("%s: scope %d not in the enum", name, n)
			}
			scopes = append(scopes, strings.Replace(string(v.Name()), "_", ":", 1))
		}
		slices.Sort(scopes)
		scopes = slices.Compact(scopes)
		gotAuth := "undef"
		if len(at) > 0 {
			gotAuth = authTypes[at[len(at)-1]]
		}
		if md.IsStreamingClient() != w.clientStream || md.IsStreamingServer() != w.serverStream {
			t.Errorf("%s: streaming client=%v server=%v, want %v %v", name, md.IsStreamingClient(), md.IsStreamingServer(), w.clientStream, w.serverStream)
		}
		if string(md.Output().FullName()) != w.response {
			t.Errorf("%s: response %s, want %s", name, md.Output().FullName(), w.response)
		}
		if gotAuth != w.authType {
			t.Errorf("%s: auth type %s, want %s", name, gotAuth, w.authType)
		}
		if !slices.Equal(scopes, w.scopes) {
			t.Errorf("%s: scopes %v, want %v", name, scopes, w.scopes)
		}
		delete(want, name)
	}
	for name := range want {
		t.Errorf("%s: missing from the descriptors", name)
	}
}

// TestProtosetIsACopy: a caller cannot change the embedded bytes.
func TestProtosetIsACopy(t *testing.T) {
	b := clarifaiapi.Protoset()
	b[0] ^= 0xff
	if clarifaiapi.Protoset()[0] == b[0] {
		t.Error("Protoset returned the embedded bytes themselves")
	}
}

// TestDocumentedChecksum: docs/keycheck.md, which records how the file was
// generated, names the checksum of the file embedded.
func TestDocumentedChecksum(t *testing.T) {
	doc, err := os.ReadFile("../../docs/keycheck.md")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(clarifaiapi.Protoset())
	if h := hex.EncodeToString(sum[:]); !strings.Contains(string(doc), h) {
		t.Errorf("docs/keycheck.md does not name the sha256 of clarifai-api.binpb, %s", h)
	}
	if !strings.Contains(string(doc), "v"+clarifaiapi.ClientVersion) && !strings.Contains(string(doc), clarifaiapi.ClientVersion) {
		t.Errorf("docs/keycheck.md does not name version %s", clarifaiapi.ClientVersion)
	}
}

// BenchmarkParse is what the first Files call costs a command: parsing the
// whole descriptor set.
func BenchmarkParse(b *testing.B) {
	set := clarifaiapi.Protoset()
	for b.Loop() {
		if _, err := fakeapi.ParseDescriptorSet(set); err != nil {
			b.Fatal(err)
		}
	}
}
