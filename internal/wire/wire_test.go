package wire

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	ct "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
)

func TestMyScopesWireFormat(t *testing.T) {
	b := EncodeMyScopesRequest("u", "a")
	want := []byte{0x0a, 0x06, 0x0a, 0x01, 'u', 0x12, 0x01, 'a'}
	if !slices.Equal(b, want) {
		t.Errorf("encode = %x, want %x", b, want)
	}
	if b := EncodeMyScopesRequest("", ""); len(b) != 0 {
		t.Errorf("empty request = %x", b)
	}
	// status{code 10000}, scopes "Inputs_Add" "Predict", app (3) skipped, endpoint.
	reply := []byte{0x0a, 0x03, 0x08, 0x90, 0x4e,
		0x12, 0x0a, 'I', 'n', 'p', 'u', 't', 's', '_', 'A', 'd', 'd',
		0x12, 0x07, 'P', 'r', 'e', 'd', 'i', 'c', 't',
		0x1a, 0x02, 0x0a, 0x00,
		0x22, 0x05, '/', 'a', '.', 'B', 'c'}
	r, err := DecodeMyScopesReply(reply, 4096, 1024)
	if err != nil || r.Status.Code != 10000 || !slices.Equal(r.Scopes, []string{"Inputs_Add", "Predict"}) || !slices.Equal(r.Endpoints, []string{"/a.Bc"}) {
		t.Errorf("decode = %+v %v", r, err)
	}
	for i := range reply {
		// Truncated replies fail cleanly or decode a prefix; never panic.
		_, _ = DecodeMyScopesReply(reply[:i], 4096, 1024)
	}
	if _, err := DecodeMyScopesReply([]byte{0x0a, 0x09}, 4096, 1024); err == nil {
		t.Error("truncated status decoded without error")
	}

	// Agreement with generated code for the same messages.
	for _, ids := range [][2]string{{"u", "a"}, {"", "a"}, {"user", ""}, {"", ""}} {
		gen, err := proto.MarshalOptions{Deterministic: true}.Marshal(&ct.MyScopesRequest{UserAppId: &ct.UserAppIDSet{UserId: ids[0], AppId: ids[1]}})
		if err != nil {
			t.Fatal(err)
		}
		if ids == [2]string{"", ""} {
			gen = nil // proto3 drops an empty sub-message only when unset; ours is unset
		}
		if got := EncodeMyScopesRequest(ids[0], ids[1]); !slices.Equal(got, gen) {
			t.Errorf("encode(%q) = %x, generated %x", ids, got, gen)
		}
	}
	genReply, err := proto.Marshal(&ct.MultiScopeResponse{
		Status:    &ct.Status{Code: ct.StatusCode_CONN_INSUFFICIENT_SCOPES, Description: "d", Details: "x", ReqId: "r"},
		Scopes:    []string{"Predict", "Inputs_Get"},
		App:       &ct.App{Id: "a"},
		Endpoints: []string{"/clarifai.api.V2/PostInputs"},
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err = DecodeMyScopesReply(genReply, 4096, 1024)
	if err != nil || r.Status != (Status{true, 11007, "d", "x", "r"}) ||
		!slices.Equal(r.Scopes, []string{"Predict", "Inputs_Get"}) || !slices.Equal(r.Endpoints, []string{"/clarifai.api.V2/PostInputs"}) {
		t.Errorf("decode(generated) = %+v %v", r, err)
	}
}

func TestDecodeMethodOptions(t *testing.T) {
	var packed, unpacked, mixed []byte
	// An unrelated option first: google.api.http (72295728) as bytes.
	packed = protowire.AppendTag(packed, 72295728, protowire.BytesType)
	packed = protowire.AppendBytes(packed, []byte{0x12, 0x01, 'x'})
	var list []byte
	for _, n := range []uint64{4, 2, 5} {
		list = protowire.AppendVarint(list, n)
		unpacked = protowire.AppendTag(unpacked, OptDependingScopes, protowire.VarintType)
		unpacked = protowire.AppendVarint(unpacked, n)
	}
	packed = protowire.AppendTag(packed, OptDependingScopes, protowire.BytesType)
	packed = protowire.AppendBytes(packed, list)
	packed = protowire.AppendTag(packed, OptAuthType, protowire.VarintType)
	packed = protowire.AppendVarint(packed, 5)
	unpacked = protowire.AppendTag(unpacked, OptAuthType, protowire.VarintType)
	unpacked = protowire.AppendVarint(unpacked, 2)
	// Both encodings in one message: a parser must concatenate them.
	mixed = append(append(mixed, packed...), unpacked...)

	want := []int32{4, 2, 5}
	for name, tc := range map[string]struct {
		b    []byte
		want []int32
		auth int32
	}{
		"packed":    {packed, want, 5},
		"unpacked":  {unpacked, want, 2},
		"mixed":     {mixed, append(slices.Clone(want), want...), 2},
		"truncated": {packed[:len(packed)-1], want, 0},
		"empty":     {nil, nil, 0},
		"garbage":   {[]byte{0xff, 0xff, 0xff}, nil, 0},
	} {
		got, _ := EnumList(tc.b, OptDependingScopes)
		var auth int32
		if a, _ := EnumList(tc.b, OptAuthType); len(a) > 0 {
			auth = a[len(a)-1]
		}
		if !slices.Equal(got, tc.want) || auth != tc.auth {
			t.Errorf("%s: method options = %v, %v; want %v, %v", name, got, auth, tc.want, tc.auth)
		}
	}
}

func TestEnumList(t *testing.T) {
	packed := protowire.AppendTag(nil, OptDependingScopes, protowire.BytesType)
	packed = protowire.AppendBytes(packed, []byte{45, 11, 0x80, 0x01}) // 45, 11, 128
	var unpacked []byte
	for _, v := range []uint64{45, 11, 128} {
		unpacked = protowire.AppendTag(unpacked, OptDependingScopes, protowire.VarintType)
		unpacked = protowire.AppendVarint(unpacked, v)
	}
	other := protowire.AppendTag(nil, OptAuthType, protowire.VarintType)
	other = protowire.AppendVarint(other, 2)
	other = protowire.AppendTag(other, 72295728, protowire.BytesType) // google.api.http
	other = protowire.AppendBytes(other, []byte("x"))

	tests := []struct {
		name string
		raw  []byte
		want []int32
	}{
		{"empty", nil, nil},
		{"packed", packed, []int32{45, 11, 128}},
		{"unpacked", unpacked, []int32{45, 11, 128}},
		{"mixed with other fields", slices.Concat(other, unpacked[:8], packed, other), []int32{45, 11, 45, 11, 128}},
		{"other fields only", other, nil},
	}
	for _, tt := range tests {
		got, err := EnumList(tt.raw, OptDependingScopes)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s: enumList = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if at, err := EnumList(other, OptAuthType); err != nil || !slices.Equal(at, []int32{2}) {
		t.Errorf("auth type = %v, %v", at, err)
	}

	for name, raw := range map[string][]byte{
		"truncated packed": packed[:len(packed)-1],
		"truncated tag":    {0x80},
		"wrong wire type":  protowire.AppendFixed32(protowire.AppendTag(nil, OptDependingScopes, protowire.Fixed32Type), 1),
	} {
		if _, err := EnumList(raw, OptDependingScopes); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
