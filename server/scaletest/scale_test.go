//go:build scale

package scaletest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meridianhq/accounts/gen/client"
)

// baseEnv is what every replica runs with: cheap hashing (the load is about the
// topology, not argon2), tight database limits (so the freeze is short), a
// shutdown delay that outlasts HAProxy's two failed checks 500 ms apart, and
// the balancer trusted for X-Forwarded-For.
func baseEnv(t *testing.T, keys string) []string {
	return []string{
		"ACCOUNTS_SIGNING_KEYS=" + keys, "ACCOUNTS_LOG_LEVEL=warn", "ACCOUNTS_TRUSTED_PROXIES=127.0.0.1",
		"ACCOUNTS_ARGON2_MEMORY_KIB=1024", "ACCOUNTS_ARGON2_ITERATIONS=1",
		"ACCOUNTS_DB_CONNECT_TIMEOUT=1s", "ACCOUNTS_DB_STATEMENT_TIMEOUT=2s",
		"ACCOUNTS_SHUTDOWN_DELAY=2s", "ACCOUNTS_SHUTDOWN_DRAIN=10s",
		"ACCOUNTS_AUTH_ATTEMPTS_PER_MINUTE=10", "ACCOUNTS_ACCOUNT_FAILURES_BEFORE_BACKOFF=0",
	}
}

// TestScale runs every check, on one cluster: first two replicas behind
// HAProxy (the rolling restart), then three replicas through PgBouncer in
// transaction mode (operations, mail, revocation, the shared limit, the freeze).
func TestScale(t *testing.T) {
	c := startCluster(t)
	keys := filepath.Join(t.TempDir(), "keys.json")
	run(t, nil, "", "keys", "generate", "--out", keys)
	run(t, []string{"DATABASE_URL=" + c.url("accounts")}, "", "migrate", "up")
	t.Run("RollingRestart", func(t *testing.T) { rollingRestart(t, c, keys) })
	t.Run("PgBouncer", func(t *testing.T) { throughPgBouncer(t, c, keys) })
}

// rollingRestart restarts each of two replicas behind HAProxy in turn under a
// closed-loop load of reads and logins.
func rollingRestart(t *testing.T, c *cluster, keys string) {
	// Neither the attempts limit nor the hashing queue may refuse the load's own
	// logins (8 workers: 8 logins at once on one replica while the other
	// restarts), so that every 5xx is the restart's.
	env := append(baseEnv(t, keys), "DATABASE_URL="+c.url("accounts"), "ACCOUNTS_AUTH_ATTEMPTS_PER_MINUTE=0", "ACCOUNTS_HASH_QUEUE=8")
	addrs := []string{fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", freePort(t))}
	replicas := []*replica{startReplica(t, "r1", addrs[0], env), startReplica(t, "r2", addrs[1], env)}
	lbPort := freePort(t)
	startHAProxy(t, lbPort, addrs)
	lb := fmt.Sprintf("127.0.0.1:%d", lbPort)
	waitHTTP(t, "http://"+lb+"/readyz", 10*time.Second, nil)
	api := api(t, lb)
	u, pair := newUser(t, api)

	var total, transport, server5xx atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var status int
				var err error
				if (i+w)%10 == 0 {
					var res *client.LoginResponse
					res, err = api.LoginWithResponse(context.Background(), client.LoginRequest{Email: u.Email, Password: password})
					if err == nil {
						status = res.StatusCode()
					}
				} else {
					var res *client.GetMeResponse
					res, err = api.GetMeWithResponse(context.Background(), nil, bearer(pair.AccessToken))
					if err == nil {
						status = res.StatusCode()
					}
				}
				total.Add(1)
				switch {
				case err != nil:
					transport.Add(1)
				case status >= 500:
					server5xx.Add(1)
				}
			}
		})
	}
	start := time.Now()
	time.Sleep(3 * time.Second)
	var exits []int
	for i, r := range replicas {
		exits = append(exits, r.stop(t))
		replicas[i] = startReplica(t, r.name, r.addr, env)
		time.Sleep(3 * time.Second) // HAProxy sees it up (2 checks 500 ms apart) and traffic flows again
	}
	for time.Since(start) < 30*time.Second {
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	exitsOK := true
	for _, e := range exits {
		exitsOK = exitsOK && e == 0
	}
	report(t, "rolling restart", transport.Load() == 0 && server5xx.Load() == 0 && exitsOK,
		"%d requests in %s through HAProxy, %d transport errors, %d 5xx; exit codes %v",
		total.Load(), time.Since(start).Round(time.Second), transport.Load(), server5xx.Load(), exits)
	for _, r := range replicas {
		r.stop(t)
	}
}

// throughPgBouncer runs three replicas through PgBouncer in transaction mode,
// their listeners on a direct connection through a proxy that can go silent.
func throughPgBouncer(t *testing.T, c *cluster, keys string) {
	bouncerPort := freePort(t)
	startPgBouncer(t, c, bouncerPort)
	listenProxy := startTCPProxy(t, fmt.Sprintf("127.0.0.1:%d", c.port))
	pooled := fmt.Sprintf("postgres://accounts@127.0.0.1:%d/accounts?sslmode=disable", bouncerPort)
	direct := fmt.Sprintf("postgres://accounts@%s/accounts?sslmode=disable", listenProxy.addr())
	mp := startMailpit(t)
	env := append(baseEnv(t, keys), "DATABASE_URL="+pooled, "ACCOUNTS_LISTEN_DATABASE_URL="+direct,
		"ACCOUNTS_DB_QUERY_EXEC_MODE=exec", "ACCOUNTS_SMTP_URL="+mp.URL(), "ACCOUNTS_MAIL_FROM=accounts@example.test")
	var rs []*replica
	for i := range 3 {
		rs = append(rs, startReplica(t, "p"+strconv.Itoa(i+1), fmt.Sprintf("127.0.0.1:%d", freePort(t)), env))
	}
	apis := []*client.ClientWithResponses{api(t, rs[0].addr), api(t, rs[1].addr), api(t, rs[2].addr)}
	operations(t, c, keys, apis)
	mailThroughPool(t, apis, mp)
	revocation(t, c, apis, "revocation, listener alive", nil, 100*time.Millisecond)
	revocation(t, c, apis, "revocation, listener killed", func() {
		c.exec(t, "accounts", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'")
	}, time.Second)
	revocation(t, c, apis, "revocation, listener silent", func() { listenProxy.setHung(true) }, time.Second)
	listenProxy.setHung(false)
	attemptLimit(t, rs)
	freeze(t, c, rs[0])
	for _, r := range rs {
		r.stop(t)
	}
}

// operations runs every kind of call, each through another replica.
func operations(t *testing.T, c *cluster, keys string, apis []*client.ClientWithResponses) {
	ctx := context.Background()
	u, pair := newUser(t, apis[0])
	var failures []string
	check := func(what string, status, want int) {
		if status != want {
			failures = append(failures, fmt.Sprintf("%s %d", what, status))
		}
	}
	again := login(t, apis[1], u.Email, password)
	ref, err := apis[2].RefreshTokenWithResponse(ctx, client.RefreshRequest{RefreshToken: pair.RefreshToken})
	check("refresh", status(ref, err), 200)
	name := "Renamed"
	patch, err := apis[0].UpdateUserWithResponse(ctx, u.Id, &client.UpdateUserParams{}, client.UserPatch{Name: &name}, bearer(again.AccessToken))
	check("patch", status(patch, err), 200)
	sess, err := apis[1].ListSessionsWithResponse(ctx, bearer(again.AccessToken))
	check("sessions", status(sess, err), 200)
	email := fmt.Sprintf("admin-%d@example.com", time.Now().UnixNano())
	run(t, []string{"DATABASE_URL=" + c.url("accounts")}, password, "admin", "create", "--email", email, "--name", "Admin", "--password-stdin")
	admin := login(t, apis[2], email, password)
	list, err := apis[0].ListUsersWithResponse(ctx, &client.ListUsersParams{}, bearer(admin.AccessToken))
	check("list", status(list, err), 200)
	get, err := apis[1].GetUserWithResponse(ctx, u.Id, nil, bearer(admin.AccessToken))
	check("get user", status(get, err), 200)
	created, err := apis[2].CreateUserWithResponse(ctx, client.CreateUserRequest{
		Email: fmt.Sprintf("created-%d@example.com", time.Now().UnixNano()), Name: "Created", Password: password, Role: client.RoleUser,
	}, bearer(admin.AccessToken))
	check("create user", status(created, err), 201)
	third := login(t, apis[0], u.Email, password)
	if sess.JSON200 != nil {
		for _, item := range sess.JSON200.Items {
			if !item.Current {
				ds, err := apis[2].DeleteSessionWithResponse(ctx, item.Id, bearer(again.AccessToken))
				check("delete session", status(ds, err), 204)
				break
			}
		}
	}
	jwks, err := apis[1].GetJwksWithResponse(ctx)
	check("jwks", status(jwks, err), 200)
	out, err := apis[2].LogoutWithResponse(ctx, client.LogoutRequest{}, bearer(third.AccessToken))
	check("logout", status(out, err), 204)
	pw, err := apis[1].SetPasswordWithResponse(ctx, u.Id, client.SetPasswordRequest{CurrentPassword: ptr(password), NewPassword: "purple monkey dishwasher lamp"}, bearer(again.AccessToken))
	check("password", status(pw, err), 204)
	del, err := apis[2].DeleteUserWithResponse(ctx, u.Id, bearer(admin.AccessToken))
	check("delete", status(del, err), 204)
	res, err := apis[0].RestoreUserWithResponse(ctx, u.Id, bearer(admin.AccessToken))
	check("restore", status(res, err), 200)
	report(t, "operations through PgBouncer", len(failures) == 0,
		"register, login, refresh, patch, sessions, admin create/list/get, session delete, jwks, logout, password, delete, restore on 3 replicas (transaction mode, exec); failures %v", failures)
}

// statusCoder is every response of the Go SDK.
type statusCoder interface{ StatusCode() int }

func status(r statusCoder, err error) int {
	if err != nil {
		return 0
	}
	return r.StatusCode()
}

func ptr[T any](v T) *T { return &v }

// revocation logs out through replica 1, 20 times, and times until replicas 2
// and 3 both refuse the token; prepare runs first (breaking the listeners).
func revocation(t *testing.T, c *cluster, apis []*client.ClientWithResponses, check string, prepare func(), p99Target time.Duration) {
	ctx := context.Background()
	u, _ := newUser(t, apis[0])
	if prepare != nil {
		prepare()
	}
	var took []time.Duration
	for range 20 {
		pair := login(t, apis[0], u.Email, password)
		for _, a := range apis[1:] {
			for me(a, pair.AccessToken) != 200 { // the new session is live everywhere
				time.Sleep(5 * time.Millisecond)
			}
		}
		res, err := apis[0].LogoutWithResponse(ctx, client.LogoutRequest{}, bearer(pair.AccessToken))
		if status(res, err) != 204 {
			t.Fatalf("logout: %v %v", err, res)
		}
		start := time.Now()
		for _, a := range apis[1:] {
			for me(a, pair.AccessToken) != 401 && time.Since(start) < 5*time.Second {
				time.Sleep(2 * time.Millisecond)
			}
		}
		took = append(took, time.Since(start))
	}
	p50, p99, mx := quantiles(took)
	report(t, check, mx < time.Second && p99 <= p99Target,
		"20 logouts on replica 1, refused on replicas 2 and 3 after p50 %s, p99 %s, max %s (target p99 %s, max 1 s)", ms(p50), ms(p99), ms(mx), ms(p99Target))
}

// attemptLimit sends wrong-password logins round robin over the replicas from
// one client: together they accept the limit, not three times it.
func attemptLimit(t *testing.T, rs []*replica) {
	const limit, sent = 10, 60
	accepted := 0
	for i := range sent {
		req, _ := http.NewRequest(http.MethodPost, "http://"+rs[i%len(rs)].addr+"/api/v1/auth/login",
			strings.NewReader(`{"email":"nobody@example.com","password":"not the password"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", "203.0.113.77")
		res, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 429 {
			accepted++
		}
	}
	report(t, "attempt limit, 3 replicas", accepted >= limit && accepted <= limit+1,
		"%d of %d attempts round robin accepted at %d a minute", accepted, sent, limit)
}

// freeze stops the whole database for 10 s under a load of reads: every
// request ends within the limits plus the margin, the frozen ones with 503,
// and 200s come back within 2 s of the thaw.
func freeze(t *testing.T, c *cluster, r *replica) {
	a := api(t, r.addr)
	_, pair := newUser(t, a)
	const limit = 1*time.Second + 2*time.Second + time.Second // connect + statement timeouts + the margin
	type sample struct {
		at, took time.Duration
		status   int
	}
	var mu sync.Mutex
	var samples []sample
	stop := make(chan struct{})
	origin := time.Now()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				begin := time.Now()
				st := me(a, pair.AccessToken)
				mu.Lock()
				samples = append(samples, sample{at: begin.Sub(origin), took: time.Since(begin), status: st})
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	time.Sleep(time.Second)
	frozeAt := time.Since(origin)
	c.freeze()
	time.Sleep(10 * time.Second)
	c.thaw()
	thawedAt := time.Since(origin)
	time.Sleep(5 * time.Second)
	close(stop)
	wg.Wait()
	var longest time.Duration
	unavailable, other := 0, 0
	firstOK := time.Duration(-1)
	for _, s := range samples {
		longest = max(longest, s.took)
		switch {
		case s.status == 503:
			unavailable++
		case s.status == 200 && s.at >= thawedAt && firstOK < 0:
			firstOK = s.at + s.took - thawedAt
		case s.status != 200:
			other++
		}
	}
	report(t, "database freeze 10 s", longest <= limit+time.Second && unavailable > 0 && other == 0 && firstOK >= 0 && firstOK <= 2*time.Second,
		"%d requests; longest %s (limit %s + 1 s margin); %d answered 503 during the freeze, %d other errors; first 200 %s after the thaw (froze at %s)",
		len(samples), ms(longest), ms(limit), unavailable, other, ms(firstOK), ms(frozeAt))
}
