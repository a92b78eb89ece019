package keysource

import (
	"context"
	"errors"
	"testing"
)

func TestFromContext(t *testing.T) {
	bg := context.Background()
	pat := mustKey(t, KindPAT, testSecret)

	tests := []struct {
		desc      string
		ctx       context.Context
		wantOK    bool
		wantErr   error
		wantKind  Kind
		wantValue string // HeaderValue
	}{
		{desc: "no override", ctx: bg},
		{desc: "WithKey", ctx: WithKey(bg, testSecret+"\n"), wantOK: true, wantKind: KindAPIKey, wantValue: "Key " + testSecret},
		{desc: "WithSessionToken", ctx: WithSessionToken(bg, testSecret), wantOK: true, wantKind: KindSessionToken, wantValue: testSecret},
		{desc: "WithKeyValue", ctx: WithKeyValue(bg, pat), wantOK: true, wantKind: KindPAT, wantValue: "Key " + testSecret},
		{desc: "invalid WithKey", ctx: WithKey(bg, testSecret+" x"), wantOK: true, wantErr: ErrInvalidKey},
		{desc: "empty WithKey", ctx: WithKey(bg, ""), wantOK: true, wantErr: ErrInvalidKey},
		{desc: "invalid WithSessionToken", ctx: WithSessionToken(bg, "a\r\nb"), wantOK: true, wantErr: ErrInvalidKey},
		{desc: "inner override wins", ctx: WithSessionToken(WithKey(bg, "outer-key-0123456789"), testSecret), wantOK: true, wantKind: KindSessionToken, wantValue: testSecret},
		{desc: "valid override replaces an invalid one", ctx: WithKey(WithKey(bg, "bad key"), testSecret), wantOK: true, wantKind: KindAPIKey, wantValue: "Key " + testSecret},
		{desc: "zero WithKeyValue removes", ctx: WithKeyValue(WithKey(bg, testSecret), Key{})},
		{desc: "zero WithKeyValue removes an invalid override", ctx: WithKeyValue(WithKey(bg, "bad key"), Key{})},
		{desc: "override after removal", ctx: WithKeyValue(WithKeyValue(WithKey(bg, "a-key-0123456789"), Key{}), pat), wantOK: true, wantKind: KindPAT, wantValue: "Key " + testSecret},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			k, ok, err := FromContext(tt.ctx)
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !k.IsZero() {
					t.Fatalf("got %v, %v; want zero Key and %v", k, err, tt.wantErr)
				}
				assertNoSecret(t, "override error", err.Error(), testSecret)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				if !k.IsZero() {
					t.Errorf("no override but Key %v", k)
				}
				return
			}
			if k.Kind() != tt.wantKind || k.HeaderValue() != tt.wantValue {
				t.Errorf("got kind %v value match %v; want %v", k.Kind(), k.HeaderValue() == tt.wantValue, tt.wantKind)
			}
		})
	}
}

func TestFromContextDoesNotAllocate(t *testing.T) {
	ctx := WithKey(context.Background(), testSecret)
	ctx = context.WithValue(ctx, struct{ n int }{1}, "unrelated") // one more link to walk
	if n := testing.AllocsPerRun(100, func() { _, _, _ = FromContext(ctx) }); n != 0 {
		t.Errorf("FromContext allocates %v times, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _, _ = FromContext(context.Background()) }); n != 0 {
		t.Errorf("FromContext without override allocates %v times, want 0", n)
	}
}
