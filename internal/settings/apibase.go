package settings

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Endpoint is a parsed API base: where to dial and how.
type Endpoint struct {
	// Host and Port name the server; Host is always a host name or an IP
	// address, never a gRPC resolver scheme.
	Host, Port string
	Plaintext  bool
}

// Target is the gRPC target for e: an explicit "dns:///" target, so that
// gRPC never reads a host named like one of its resolver schemes ("unix",
// "passthrough", "xds", …) as that scheme.
func (e Endpoint) Target() string { return "dns:///" + e.Addr() }

// Addr is host:port.
func (e Endpoint) Addr() string { return net.JoinHostPort(e.Host, e.Port) }

// String is the API base as dialled: "https://host:port" or "http://host:port".
func (e Endpoint) String() string {
	if e.Plaintext {
		return "http://" + e.Addr()
	}
	return "https://" + e.Addr()
}

// Loopback reports whether e names this machine: the host "localhost" or a
// loopback address (127.0.0.0/8, ::1).
func (e Endpoint) Loopback() bool { return IsLoopbackHost(e.Host) }

// IsLoopbackHost reports whether host is "localhost" (any case, with or
// without a final dot) or a loopback IP address.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ClearOffHost reports whether dialling e sends what it carries in clear
// to another machine: a plaintext base whose host is not this machine. It
// is the one rule for an API base's plaintext: NewClient and keycheck send
// a key to such a base only when the caller allowed it.
func (e Endpoint) ClearOffHost() bool { return e.Plaintext && !e.Loopback() }

// ErrBadAPIBase is the error of an API base ParseAPIBase cannot use.
var ErrBadAPIBase = errors.New("clarifaiauth: API base must look like https://host[:port], host[:port] or http://host:port")

// ParseAPIBase parses an API base: "https://host[:port]" dials host:443
// (or port) over TLS; "http://host:port" dials in plaintext. A bare
// "host[:port]" is https, as Clarifai's SDKs take it, except on this
// machine (localhost, a loopback address), where it is http (a local fake,
// a tunnel, a sidecar) and needs a port. Anything else is an error. The
// base comes from configuration, so the error quotes at most its scheme.
func ParseAPIBase(base string) (Endpoint, error) {
	base = strings.TrimSpace(base)
	if base != "" && !strings.Contains(base, "://") {
		scheme := "https://"
		if u, err := url.Parse("//" + base); err == nil && IsLoopbackHost(u.Hostname()) {
			scheme = "http://"
		}
		base = scheme + base
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return Endpoint{}, ErrBadAPIBase
	}
	host, port := u.Hostname(), u.Port()
	if host == "" || strings.ContainsAny(host, "/%") {
		return Endpoint{}, ErrBadAPIBase
	}
	switch u.Scheme {
	case "https":
		if port == "" {
			port = "443"
		}
		return Endpoint{Host: host, Port: port}, nil
	case "http":
		if port == "" {
			return Endpoint{}, fmt.Errorf("clarifaiauth: a plaintext API base needs an explicit port (http://host:port)")
		}
		return Endpoint{Host: host, Port: port, Plaintext: true}, nil
	}
	return Endpoint{}, fmt.Errorf("clarifaiauth: API base scheme must be https or http, not %.10q", u.Scheme)
}
