package server_test

import (
	"net"
	"net/url"
	"sync"
	"testing"
	"time"
)

// dbProxy forwards TCP connections to the test database, and can cut them all,
// so a test can make the database unreachable and bring it back without touching
// the server other tests share.
type dbProxy struct {
	ln      net.Listener
	network string // how to reach the real server: "unix" or "tcp"
	target  string

	mu    sync.Mutex
	down  bool
	hung  bool
	conns map[net.Conn]struct{}
}

// newDBProxy listens on loopback and forwards to the server of dbURL. URL returns
// dbURL rewritten to go through the proxy.
func newDBProxy(t *testing.T, dbURL string) *dbProxy {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &dbProxy{conns: map[net.Conn]struct{}{}}
	if sock := u.Query().Get("host"); sock != "" && sock[0] == '/' {
		port := u.Query().Get("port")
		if port == "" {
			port = "5432"
		}
		p.network, p.target = "unix", sock+"/.s.PGSQL."+port
	} else {
		p.network, p.target = "tcp", u.Host
	}
	if p.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.ln.Close(); p.setDown(true) })
	go p.accept()
	return p
}

// URL rewrites dbURL to connect through the proxy.
func (p *dbProxy) URL(t *testing.T, dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Del("host")
	q.Del("port")
	u.RawQuery = q.Encode()
	u.Host = p.ln.Addr().String()
	return u.String()
}

// setDown cuts every connection and refuses new ones (down) or lets them through.
func (p *dbProxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
}

// setHung stops forwarding bytes, in both directions, without closing
// anything (hung) or lets them flow again: a database that freezes.
func (p *dbProxy) setHung(hung bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hung = hung
}

func (p *dbProxy) isHung() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hung
}

// pipe copies src to dst, holding each chunk while the proxy is hung.
func (p *dbProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		for n > 0 && p.isHung() {
			time.Sleep(10 * time.Millisecond)
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *dbProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

func (p *dbProxy) forward(c net.Conn) {
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		return
	}
	up, err := net.Dial(p.network, p.target)
	if err != nil {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	go func() { p.pipe(up, c); up.Close() }()
	p.pipe(c, up)
	c.Close()
}
