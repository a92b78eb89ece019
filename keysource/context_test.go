package keysource

import (
	"context"
	"errors"
	"testing"
)

func TestFromContext(t *testing.T) {
	bg := context.Background()
	pat := mustKey(t, KindPAT, testSecret)
	tok := mustKey(t, KindSessionToken, testSecret)
	outer := mustKey(t, KindKey, "outer-key-0123456789")

	tests := []struct {
		desc      string
		ctx       context.Context
		wantOK    bool
		wantKind  Kind
		wantValue string // HeaderValue
	}{
		{desc: "no override", ctx: bg},
		{desc: "WithKey", ctx: WithKey(bg, pat), wantOK: true, wantKind: KindPAT, wantValue: "Key " + testSecret},
		{desc: "session token", ctx: WithKey(bg, tok), wantOK: true, wantKind: KindSessionToken, wantValue: testSecret},
		{desc: "inner override wins", ctx: WithKey(WithKey(bg, outer), tok), wantOK: true, wantKind: KindSessionToken, wantValue: testSecret},
		{desc: "zero Key removes", ctx: WithKey(WithKey(bg, pat), Key{})},
		{desc: "override after removal", ctx: WithKey(WithKey(WithKey(bg, outer), Key{}), pat), wantOK: true, wantKind: KindPAT, wantValue: "Key " + testSecret},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			k, ok := fromContext(tt.ctx)
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if !ok {
				if !k.IsZero() {
					t.Errorf("no override but Key %v", k)
				}
				return
			}
			if k.Kind() != tt.wantKind || k.headerValue() != tt.wantValue {
				t.Errorf("got kind %v value match %v; want %v", k.Kind(), k.headerValue() == tt.wantValue, tt.wantKind)
			}
		})
	}
}

func TestKeyIsASource(t *testing.T) {
	pat := mustKey(t, KindPAT, testSecret)
	var src Source = pat
	k, err := src.Key(context.Background())
	if err != nil || !k.Equal(pat) {
		t.Fatalf("Key as Source = %v, %v; want the key itself", k, err)
	}
	if _, err := (Key{}).Key(context.Background()); !errors.Is(err, ErrNoKey) {
		t.Errorf("zero Key as Source: err = %v, want ErrNoKey", err)
	}
}

func TestFromContextDoesNotAllocate(t *testing.T) {
	ctx := WithKey(context.Background(), mustKey(t, KindKey, testSecret))
	ctx = context.WithValue(ctx, struct{ n int }{1}, "unrelated") // one more link to walk
	if n := testing.AllocsPerRun(100, func() { _, _ = fromContext(ctx) }); n != 0 {
		t.Errorf("FromContext allocates %v times, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = fromContext(context.Background()) }); n != 0 {
		t.Errorf("FromContext without override allocates %v times, want 0", n)
	}
}
