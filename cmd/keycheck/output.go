package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

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
	Key       string `json:"key"`
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
}

// methodCheck is the verdict for one -method.
type methodCheck struct {
	Method   string   `json:"method"`
	AuthType string   `json:"auth_type"`
	Required []string `json:"required_scopes"`
	Allowed  bool     `json:"allowed"`
	// MissingScopes are the required scopes the key lacks;
	// MissingEndpoints the endpoint scopes that would allow the call instead.
	MissingScopes    []string `json:"missing_scopes,omitempty"`
	MissingEndpoints []string `json:"missing_endpoints,omitempty"`
}

// newReport checks each requirement against grant.
func newReport(grant scopes.Grant, reqs []scopes.Requirement) *report {
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
			r.Allowed = false
		}
		r.Methods = append(r.Methods, mc)
	}
	return r
}

// write prints r as indented JSON or as a table.
func (r *report) write(w io.Writer, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return r.writeTable(w)
}

// writeTable prints r for people.
func (r *report) writeTable(w io.Writer) error {
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
	fmt.Fprintf(tw, "  app\t%s\n", appName(r.UserID, r.AppID))
	fmt.Fprintln(tw)

	fmt.Fprintf(tw, "Scopes (%d):\n", len(r.Scopes))
	writeList(tw, r.Scopes)
	fmt.Fprintf(tw, "Endpoints (%d):\n", len(r.Endpoints))
	writeList(tw, r.Endpoints)

	if len(r.Methods) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "  METHOD\tAUTH\tALLOWED\tMISSING")
		denied := 0
		for _, m := range r.Methods {
			allowed, missing := "yes", ""
			if !m.Allowed {
				denied++
				allowed, missing = "NO", missingText(m.MissingScopes, m.MissingEndpoints)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", m.Method, m.AuthType, allowed, missing)
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
	// tabwriter pads every cell but the last of a line, which leaves
	// trailing blanks after an empty MISSING cell: drop them.
	var out strings.Builder
	for line := range strings.Lines(buf.String()) {
		out.WriteString(strings.TrimRight(line, " \n"))
		out.WriteByte('\n')
	}
	_, err := io.WriteString(w, out.String())
	return err
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
