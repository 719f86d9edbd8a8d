package mail

import (
	"testing"
	"time"
)

func TestLifetime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{24 * time.Hour, "24 hours"},
		{time.Hour, "1 hour"},
		{90 * time.Minute, "90 minutes"},
		{30 * time.Minute, "30 minutes"},
		{15 * time.Minute, "15 minutes"},
		{time.Minute + 30*time.Second, "1 minute"},
		{10 * time.Second, "1 minute"},
	} {
		if got := Lifetime(tc.d); got != tc.want {
			t.Errorf("Lifetime(%s) = %q; want %q", tc.d, got, tc.want)
		}
	}
}
