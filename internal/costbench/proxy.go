package costbench

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// Proxy forwards every request to an AWS endpoint (moto_server) through a
// Counter: the functions' SDK clients, built from the environment like a
// deployed function's, reach it as AWS_ENDPOINT_URL, so their requests
// are counted without any change to how they are built.
type Proxy struct {
	Counter *Counter
	ln      net.Listener
	srv     *http.Server
}

// NewProxy listens on 127.0.0.1 and forwards to endpoint. Close it when
// done.
func NewProxy(endpoint string) (*Proxy, error) {
	to, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("proxy endpoint: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy: listen: %w", err)
	}
	p := &Proxy{Counter: &Counter{}, ln: ln}
	rp := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(to); r.Out.Host = r.In.Host },
		Transport: p.Counter,
	}
	p.srv = &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// URL is the proxy's base URL.
func (p *Proxy) URL() string { return "http://" + p.ln.Addr().String() }

// Close stops the proxy.
func (p *Proxy) Close() error { return p.srv.Close() }
