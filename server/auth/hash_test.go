package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// fastArgon2 keeps most tests quick; OWASPArgon2 is used only where the real
// parameters matter.
var fastArgon2 = Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

func newTestHasher(t *testing.T, p Argon2Params) *Hasher {
	t.Helper()
	h, err := NewHasher(p, NewCPUSlots(2, Queue{}), rand.Reader)
	if err != nil {
		t.Fatalf("NewHasher(%+v): %v", p, err)
	}
	return h
}

func mustHash(t *testing.T, h *Hasher, password string) string {
	t.Helper()
	enc, err := h.Hash(t.Context(), password)
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	return enc
}

// encodeArgon2id builds a PHC string independently of Hasher.hash.
func encodeArgon2id(p Argon2Params, password string, saltLen, keyLen int) string {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, uint32(keyLen))
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s",
		p.MemoryKiB, p.Iterations, p.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func TestHasher_RoundTrip(t *testing.T) {
	t.Parallel()
	h := newTestHasher(t, fastArgon2)
	tests := []struct{ name, password, wrong string }{
		{"ASCII", "correct horse battery staple", "correct horse battery stapl"},
		{"CaseMatters", "Tr0ub4dor&3", "tr0ub4dor&3"},
		{"Unicode", "pässwörd-日本語-😀", "passwort-日本語-😀"},
		{"Empty", "", " "},
		{"MaxLength", strings.Repeat("vK9#mQ2$", 16), strings.Repeat("vK9#mQ2$", 15) + "vK9#mQ2%"},
		{"TrailingNUL", "secret\x00", "secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			enc := mustHash(t, h, tt.password)
			v, err := h.Verify(t.Context(), enc, tt.password)
			if err != nil || !v.Match || v.Rehash {
				t.Errorf("Verify(right) = %+v, %v; want Match, no Rehash", v, err)
			}
			v, err = h.Verify(t.Context(), enc, tt.wrong)
			if err != nil || v.Match || v.Rehash {
				t.Errorf("Verify(wrong) = %+v, %v; want no Match, no Rehash", v, err)
			}
		})
	}
}

func TestHasher_PHCFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params Argon2Params
		prefix string
	}{
		{"OWASP", OWASPArgon2, "$argon2id$v=19$m=19456,t=2,p=1$"},
		{"Fast", fastArgon2, "$argon2id$v=19$m=64,t=1,p=1$"},
		{"Parallel", Argon2Params{MemoryKiB: 32, Iterations: 3, Parallelism: 4}, "$argon2id$v=19$m=32,t=3,p=4$"},
	}
	// 16-byte salt and 32-byte key in unpadded standard base64.
	tail := regexp.MustCompile(`^[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newTestHasher(t, tt.params)
			enc := mustHash(t, h, "password")
			rest, ok := strings.CutPrefix(enc, tt.prefix)
			if !ok || !tail.MatchString(rest) {
				t.Fatalf("hash %q: want %s<salt22>$<key43>", enc, tt.prefix)
			}
			if again := mustHash(t, h, "password"); again == enc {
				t.Errorf("two hashes of one password are equal (%q): the salt is not random", enc)
			}
		})
	}
}

func TestHasher_Rehash(t *testing.T) {
	t.Parallel()
	current := Argon2Params{MemoryKiB: 64, Iterations: 2, Parallelism: 1}
	h := newTestHasher(t, current)
	tests := []struct {
		name       string
		stored     string
		password   string
		wantMatch  bool
		wantRehash bool
	}{
		{"SameParams", encodeArgon2id(current, "pw", 16, 32), "pw", true, false},
		{"OtherMemory", encodeArgon2id(Argon2Params{128, 2, 1}, "pw", 16, 32), "pw", true, true},
		{"OtherIterations", encodeArgon2id(Argon2Params{64, 1, 1}, "pw", 16, 32), "pw", true, true},
		{"OtherParallelism", encodeArgon2id(Argon2Params{64, 2, 2}, "pw", 16, 32), "pw", true, true},
		{"ShortSalt", encodeArgon2id(current, "pw", 8, 32), "pw", true, true},
		{"ShortKey", encodeArgon2id(current, "pw", 16, 16), "pw", true, true},
		{"OtherParamsWrongPassword", encodeArgon2id(Argon2Params{128, 2, 1}, "pw", 16, 32), "nope", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := h.Verify(t.Context(), tt.stored, tt.password)
			if err != nil {
				t.Fatalf("Verify(%q): %v", tt.stored, err)
			}
			if v.Match != tt.wantMatch || v.Rehash != tt.wantRehash {
				t.Errorf("Verify = %+v; want Match=%v Rehash=%v", v, tt.wantMatch, tt.wantRehash)
			}
		})
	}
}

func TestHasher_Bcrypt(t *testing.T) {
	t.Parallel()
	h := newTestHasher(t, fastArgon2)
	b, err := bcrypt.GenerateFromPassword([]byte("imported-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	a := string(b)
	if !strings.HasPrefix(a, "$2a$") {
		t.Fatalf("bcrypt produced %q, want a $2a$ hash", a)
	}
	tests := []struct {
		name, prefix, password string
		want                   Verification
	}{
		{"2a_Match", "$2a$", "imported-pw", Verification{Match: true, Rehash: true}},
		{"2b_Match", "$2b$", "imported-pw", Verification{Match: true, Rehash: true}},
		{"2y_Match", "$2y$", "imported-pw", Verification{Match: true, Rehash: true}},
		{"2a_Wrong", "$2a$", "imported-pW", Verification{}},
		{"2b_Wrong", "$2b$", "", Verification{}},
		{"2y_Wrong", "$2y$", "imported-pw ", Verification{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stored := tt.prefix + strings.TrimPrefix(a, "$2a$")
			v, err := h.Verify(t.Context(), stored, tt.password)
			if err != nil || v != tt.want {
				t.Errorf("Verify(%q, %q) = %+v, %v; want %+v", stored, tt.password, v, err, tt.want)
			}
		})
	}
}

func TestHasher_UnknownHash(t *testing.T) {
	t.Parallel()
	h := newTestHasher(t, fastArgon2)
	good := encodeArgon2id(fastArgon2, "pw", 16, 32)
	parts := strings.Split(good, "$") // "", argon2id, v=19, m=…, salt, key
	salt, key := parts[4], parts[5]
	bc, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, stored string }{
		{"Empty", ""},
		{"Garbage", "not a hash"},
		{"Plaintext", "pw"},
		{"Argon2i", strings.Replace(good, "$argon2id$", "$argon2i$", 1)},
		{"Scrypt", "$scrypt$ln=16,r=8,p=1$c2FsdA$aGFzaA"},
		{"Truncated", good[:len(good)-len(key)-1]},
		{"PrefixOnly", "$argon2id$"},
		{"ExtraField", good + "$x"},
		{"BadBase64Salt", "$argon2id$v=19$m=64,t=1,p=1$!!!!!!!!!!!!!!!!!!!!!!$" + key},
		{"BadBase64Key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key[:20] + "*" + key[21:]},
		{"PaddedBase64", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key},
		{"AbsurdMemory", "$argon2id$v=19$m=99999999,t=1,p=1$" + salt + "$" + key},
		{"ZeroIterations", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key},
		{"AbsurdIterations", "$argon2id$v=19$m=64,t=1000,p=1$" + salt + "$" + key},
		{"ZeroParallelism", "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key},
		{"ParallelismOverflow", "$argon2id$v=19$m=64,t=1,p=256$" + salt + "$" + key},
		{"WrongVersion", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key},
		// These two fail today: fmt.Sscanf in parseArgon2id ignores what follows the last verb.
		{"TrailingJunkVersion", "$argon2id$v=19junk$m=64,t=1,p=1$" + salt + "$" + key},
		{"UnknownParam", "$argon2id$v=19$m=64,t=1,p=1,data=YWQ$" + salt + "$" + key},
		{"MissingVersion", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key + "$"},
		{"NonNumericParams", "$argon2id$v=19$m=x,t=1,p=1$" + salt + "$" + key},
		{"SaltTooShort", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + key},
		{"KeyTooShort", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$a2V5"},
		{"BcryptTruncated", string(bc[:20])},
		{"BcryptBadCost", "$2a$99$" + string(bc[7:])},
		{"Bcrypt2x", "$2x$" + string(bc[4:])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := h.Verify(t.Context(), tt.stored, "pw")
			if !errors.Is(err, ErrUnknownHash) {
				t.Errorf("Verify(%q) error = %v; want one wrapping ErrUnknownHash", tt.stored, err)
			}
			if v.Match || v.Rehash {
				t.Errorf("Verify(%q) = %+v; want the zero Verification", tt.stored, v)
			}
		})
	}
}

func TestHasher_DummyHash(t *testing.T) {
	t.Parallel()
	params := Argon2Params{MemoryKiB: 72, Iterations: 2, Parallelism: 2}
	h := newTestHasher(t, params)
	dummy := h.DummyHash()
	got, _, _, err := parseArgon2id(dummy)
	if err != nil || got != params {
		t.Fatalf("DummyHash %q has params %+v (err %v); want %+v", dummy, got, err, params)
	}
	if other := newTestHasher(t, params).DummyHash(); other == dummy {
		t.Errorf("two hashers share the dummy hash %q", dummy)
	}
	tests := []struct{ name, password string }{
		{"Empty", ""},
		{"Common", "password"},
		{"NUL", "\x00"},
		{"Long", strings.Repeat("a", 128)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := h.Verify(t.Context(), dummy, tt.password)
			if err != nil || v.Match || v.Rehash {
				t.Errorf("Verify(dummy, %q) = %+v, %v; want no match, no error", tt.password, v, err)
			}
		})
	}
}

func TestNewHasher_Invalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params Argon2Params
	}{
		{"Zero", Argon2Params{}},
		{"NoIterations", Argon2Params{MemoryKiB: 64, Iterations: 0, Parallelism: 1}},
		{"NoParallelism", Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 0}},
		{"MemoryBelow8PerLane", Argon2Params{MemoryKiB: 31, Iterations: 1, Parallelism: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if h, err := NewHasher(tt.params, nil, rand.Reader); err == nil {
				t.Errorf("NewHasher(%+v) = %v, nil; want an error", tt.params, h)
			}
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestNewHasher_RandomnessError(t *testing.T) {
	t.Parallel()
	if _, err := NewHasher(fastArgon2, nil, failingReader{}); err == nil {
		t.Fatal("NewHasher with a failing reader: want an error")
	}
}

// TestHasher_UsesSlots checks that Hash and Verify wait for a CPU slot: with
// the only slot taken, they give up when their context ends.
func TestHasher_UsesSlots(t *testing.T) {
	t.Parallel()
	h, err := NewHasher(fastArgon2, NewCPUSlots(1, Queue{}), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	enc := mustHash(t, h, "pw")
	release, done := occupy(t, h.Slots(), 1)
	defer func() { close(release); done.Wait() }()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash with full slots and cancelled ctx: err = %v; want context.Canceled", err)
	}
	if _, err := h.Verify(ctx, enc, "pw"); !errors.Is(err, context.Canceled) {
		t.Errorf("Verify with full slots and cancelled ctx: err = %v; want context.Canceled", err)
	}
}

// occupy fills n slots of p with jobs that block until release is closed, and
// returns once all n are running.
func occupy(t *testing.T, p *CPUSlots, n int) (release chan struct{}, done *sync.WaitGroup) {
	t.Helper()
	release, done = make(chan struct{}), &sync.WaitGroup{}
	running := make(chan struct{})
	for range n {
		done.Go(func() {
			_ = p.Do(context.Background(), func() error {
				running <- struct{}{}
				<-release
				return nil
			})
		})
	}
	for range n {
		<-running
	}
	return release, done
}

// TestCPUSlots_Bound runs many jobs that hold their slot until released. Once n are
// running, a job with an already-cancelled context must be refused every time
// (with a free slot, select would pick the slot half the time), and the highest
// number of jobs seen at once must be exactly n.
func TestCPUSlots_Bound(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 2, 4, 8} {
		t.Run(fmt.Sprintf("Slots%d", n), func(t *testing.T) {
			t.Parallel()
			p := NewCPUSlots(n, Queue{})
			var cur, peak, ran atomic.Int64
			running, release := make(chan struct{}, 4*n), make(chan struct{})
			var wg sync.WaitGroup
			for range 4 * n {
				wg.Go(func() {
					err := p.Do(context.Background(), func() error {
						c := cur.Add(1)
						for m := peak.Load(); c > m && !peak.CompareAndSwap(m, c); m = peak.Load() {
						}
						ran.Add(1)
						running <- struct{}{}
						<-release
						cur.Add(-1)
						return nil
					})
					if err != nil {
						t.Errorf("Do: %v", err)
					}
				})
			}
			for range n {
				<-running
			}
			cancelled, cancel := context.WithCancel(context.Background())
			cancel()
			for range 100 {
				if err := p.Do(cancelled, func() error { t.Error("ran beyond the bound"); return nil }); !errors.Is(err, context.Canceled) {
					t.Fatalf("Do on full slots with a cancelled ctx = %v; want context.Canceled", err)
				}
			}
			close(release)
			wg.Wait()
			if got := peak.Load(); got != int64(n) {
				t.Errorf("peak concurrency = %d; want %d", got, n)
			}
			if got := ran.Load(); got != int64(4*n) {
				t.Errorf("ran %d jobs; want %d", got, 4*n)
			}
		})
	}
}

func TestCPUSlots_CancelWhileWaiting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"Cancelled", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, context.Canceled},
		{"CancelCause", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancelCause(context.Background())
			return ctx, func() { cancel(errors.New("client gone")) }
		}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := NewCPUSlots(1, Queue{})
			release, done := occupy(t, p, 1)
			ctx, cancel := tt.ctx()
			var ran atomic.Bool
			result := make(chan error)
			go func() { result <- p.Do(ctx, func() error { ran.Store(true); return nil }) }()
			cancel()
			if err := <-result; !errors.Is(err, tt.want) {
				t.Errorf("Do = %v; want %v", err, tt.want)
			}
			close(release)
			done.Wait()
			if ran.Load() {
				t.Error("fn ran although its context ended before a slot was free")
			}
			// The slot is free again.
			if err := p.Do(context.Background(), func() error { return nil }); err != nil {
				t.Errorf("Do after release = %v", err)
			}
		})
	}
}

func TestCPUSlots_ReturnsFnError(t *testing.T) {
	t.Parallel()
	p := NewCPUSlots(1, Queue{})
	want := errors.New("boom")
	if err := p.Do(t.Context(), func() error { return want }); err != want {
		t.Fatalf("Do = %v; want %v", err, want)
	}
	// The failed job released its slot.
	if err := p.Do(t.Context(), func() error { return nil }); err != nil {
		t.Fatalf("second Do = %v", err)
	}
}
