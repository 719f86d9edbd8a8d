package auth

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestPrincipal_IsAdmin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		role Role
		want bool
	}{
		{RoleAdmin, true},
		{RoleUser, false},
		{"", false},
		{"Admin", false},
		{"root", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			t.Parallel()
			if got := (Principal{Role: tt.role}).IsAdmin(); got != tt.want {
				t.Errorf("IsAdmin(%q) = %v; want %v", tt.role, got, tt.want)
			}
		})
	}
}

func TestPrincipal_Context(t *testing.T) {
	t.Parallel()
	p := Principal{UserID: uuid.New(), SessionID: uuid.New(), Role: RoleAdmin, ExpiresAt: time.Unix(1900000000, 0)}
	type otherKey struct{}
	tests := []struct {
		name   string
		ctx    context.Context
		want   Principal
		wantOK bool
	}{
		{"Absent", context.Background(), Principal{}, false},
		{"Present", WithPrincipal(context.Background(), p), p, true},
		{"UnderChildContext", context.WithValue(WithPrincipal(context.Background(), p), otherKey{}, "x"), p, true},
		{"Replaced", WithPrincipal(WithPrincipal(context.Background(), Principal{Role: RoleUser}), p), p, true},
		{"ZeroPrincipal", WithPrincipal(context.Background(), Principal{}), Principal{}, true},
		{"SameTypeOtherKey", context.WithValue(context.Background(), otherKey{}, p), Principal{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := PrincipalFrom(tt.ctx)
			if ok != tt.wantOK || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("PrincipalFrom = %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
