package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/preflight"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// report is what keycheck prints, as a table or as JSON. It holds the key
// only in its redacted form.
type report struct {
	// Demo is set when the server is the embedded fake one.
	Demo bool `json:"demo,omitempty"`
	// Server is host:port; TLS tells whether the connection used TLS.
	Server string `json:"server"`
	TLS    bool   `json:"tls"`
	// Key is the redacted key (keysource.Key's String), KeySource where it
	// was found.
	Key string `json:"key"`
	// Owner is the user whose PAT the key is, as the server said; empty
	// when it is not a PAT or the server did not say.
	Owner     string `json:"owner,omitempty"`
	KeySource string `json:"key_source"`
	// UserID and AppID name the app asked about; empty means the key's own.
	UserID string `json:"user_id"`
	AppID  string `json:"app_id"`
	// Scopes and Endpoints are what MyScopes reported.
	Scopes    []string `json:"scopes"`
	Endpoints []string `json:"endpoints"`
	// Methods are the -method checks, in the order given.
	Methods []methodCheck `json:"methods,omitempty"`
	// Allowed is true when every method checked is allowed (and when none
	// was asked about).
	Allowed bool `json:"allowed"`

	// san makes the text safe to print; see safe.
	san sanitizer
}

// methodCheck is the verdict for one -method.
type methodCheck struct {
	Method   string   `json:"method"`
	AuthType string   `json:"auth_type"`
	Required []string `json:"required_scopes"`
	Allowed  bool     `json:"allowed"`
	// Reason says why the key's kind can never call the method ("needs a
	// PAT", "needs a session token"); empty otherwise.
	Reason string `json:"reason,omitempty"`
	// MissingScopes are the required scopes the key lacks;
	// MissingEndpoints the endpoint scopes that would allow the call instead.
	MissingScopes    []string `json:"missing_scopes,omitempty"`
	MissingEndpoints []string `json:"missing_endpoints,omitempty"`
}

// newReport checks each requirement against grant, for a key of unknown
// kind (keysource.KindKey).
func newReport(grant preflight.Grant, reqs []scopes.Requirement) *report {
	return checkReport(grant, reqs, keysource.KindKey)
}

// checkReport checks each requirement against grant, and against the
// auth type a key of this kind can satisfy.
func checkReport(grant preflight.Grant, reqs []scopes.Requirement, kind keysource.Kind) *report {
	r := &report{
		Scopes:    nonNil(grant.Scopes()),
		Endpoints: nonNil(grant.Endpoints()),
		Allowed:   true,
	}
	for _, req := range reqs {
		mc := methodCheck{
			Method:   req.Method,
			AuthType: req.AuthType.String(),
			Required: nonNil(req.Scopes),
			Allowed:  grant.Allows(req),
		}
		if !mc.Allowed {
			mc.MissingScopes, mc.MissingEndpoints = grant.Missing(req)
		}
		if mc.Reason = authRefusal(req.AuthType, kind); mc.Reason != "" {
			mc.Allowed = false
		}
		if !mc.Allowed {
			r.Allowed = false
		}
		r.Methods = append(r.Methods, mc)
	}
	return r
}

// authRefusal says why a key of kind can never call a method of auth type
// a: an API key is not a PAT, and only a session token satisfies
// SessionTokenAuth. A key of unknown kind (KindKey) may be a PAT, so it is
// never refused a PATAuth method: the server decides.
func authRefusal(a scopes.AuthType, kind keysource.Kind) string {
	switch {
	case a == scopes.PATAuth && kind == keysource.KindAPIKey:
		return "needs a PAT (this key is an app-specific API key)"
	case a == scopes.SessionTokenAuth && kind != keysource.KindSessionToken:
		// Every other kind, KindKey included, is sent as an API key or
		// a PAT: never a session token.
		return "needs a session token (this key is " + kindName(kind) + ")"
	}
	return ""
}

// kindName names a key's kind for people.
func kindName(kind keysource.Kind) string {
	switch kind {
	case keysource.KindAPIKey:
		return "an app-specific API key"
	case keysource.KindPAT:
		return "a PAT"
	case keysource.KindSessionToken:
		return "a session token"
	}
	return "an API key or a PAT"
}

// write prints r as indented JSON or as a table.
func (r *report) write(w io.Writer, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(r.safe())
	}
	return r.writeTable(w)
}

// safe returns a copy of r fit to print: every string escaped and scrubbed
// of the key by r.san, every list bounded. Table and JSON both print it.
func (r *report) safe() *report {
	z := r.san
	c := *r
	c.Server, c.Key, c.KeySource = z.text(r.Server), z.text(r.Key), z.text(r.KeySource)
	c.UserID, c.AppID, c.Owner = z.text(r.UserID), z.text(r.AppID), z.text(r.Owner)
	c.Scopes, c.Endpoints = z.list(r.Scopes), z.list(r.Endpoints)
	c.Methods = nil
	for _, m := range r.Methods {
		m.Method, m.AuthType, m.Reason = z.text(m.Method), z.text(m.AuthType), z.text(m.Reason)
		m.Required = z.list(m.Required)
		if m.MissingScopes != nil {
			m.MissingScopes = z.list(m.MissingScopes)
		}
		if m.MissingEndpoints != nil {
			m.MissingEndpoints = z.list(m.MissingEndpoints)
		}
		c.Methods = append(c.Methods, m)
	}
	return &c
}

// writeTable prints r for people.
func (r *report) writeTable(w io.Writer) error {
	r = r.safe()
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	title := "Clarifai key check"
	if r.Demo {
		title += " (DEMO: embedded fake server, not Clarifai)"
	}
	fmt.Fprintln(tw, title)
	transport := "TLS"
	if !r.TLS {
		transport = "plaintext"
	}
	fmt.Fprintf(tw, "  server\t%s (%s)\n", r.Server, transport)
	fmt.Fprintf(tw, "  key\t%s from %s\n", r.Key, r.KeySource)
	if r.Owner != "" {
		fmt.Fprintf(tw, "  owner\t%s\n", r.Owner)
	}
	fmt.Fprintf(tw, "  app\t%s\n", appName(r.UserID, r.AppID))
	fmt.Fprintln(tw)

	fmt.Fprintf(tw, "Scopes (%d):\n", len(r.Scopes))
	writeList(tw, r.Scopes)
	fmt.Fprintf(tw, "Endpoints (%d):\n", len(r.Endpoints))
	writeList(tw, r.Endpoints)

	if len(r.Methods) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "  METHOD\tAUTH\tALLOWED\tREASON")
		denied := 0
		for _, m := range r.Methods {
			allowed, reason := "yes", ""
			if !m.Allowed {
				denied++
				allowed, reason = "NO", whyNot(m)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", m.Method, m.AuthType, allowed, reason)
		}
		fmt.Fprintln(tw)
		if denied == 0 {
			fmt.Fprintf(tw, "All %d methods allowed.\n", len(r.Methods))
		} else {
			fmt.Fprintf(tw, "%d of %d methods not allowed.\n", denied, len(r.Methods))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, trimLines(buf.String()))
	return err
}

// trimLines drops trailing blanks: tabwriter pads every cell but the last of
// a line, which leaves them after an empty last cell.
func trimLines(s string) string {
	var out strings.Builder
	for line := range strings.Lines(s) {
		out.WriteString(strings.TrimRight(line, " \n"))
		out.WriteByte('\n')
	}
	return out.String()
}

func writeList(w io.Writer, items []string) {
	if len(items) == 0 {
		fmt.Fprintln(w, "  (none)")
		return
	}
	for _, s := range items {
		fmt.Fprintf(w, "  %s\n", s)
	}
}

// whyNot says why a method is not allowed: the credential it needs, and
// what would allow it scope-wise.
func whyNot(m methodCheck) string {
	var parts []string
	if m.Reason != "" {
		parts = append(parts, m.Reason)
	}
	if t := missingText(m.MissingScopes, m.MissingEndpoints); t != "" {
		parts = append(parts, "missing "+t)
	}
	return strings.Join(parts, "; ")
}

// missingText says what would allow a call: the missing scopes, or else one
// of the endpoint scopes.
func missingText(missing, endpoints []string) string {
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "scopes "+strings.Join(missing, ", "))
	}
	if len(endpoints) > 0 {
		p := "endpoint " + strings.Join(endpoints, ", ")
		if len(parts) > 0 {
			p = "or " + p
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// appName names the app asked about.
func appName(userID, appID string) string {
	if userID == "" && appID == "" {
		return "(the key's own app)"
	}
	return firstNonEmpty(userID, "(key's user)") + "/" + firstNonEmpty(appID, "(key's app)")
}

// nonNil makes JSON print [] rather than null for an empty list.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
