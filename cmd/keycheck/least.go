package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/grpc-keyauth/clarifaiauth/internal/fakeapi"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// leastReport is what -least prints: the least privilege that covers the
// -method methods, from their options in the descriptors.
type leastReport struct {
	// Descriptors names where the requirements were read: the -protoset
	// file, or Clarifai's API embedded in keycheck.
	Descriptors string `json:"descriptors"`
	// Credential is the kind of credential every method accepts: "none",
	// "API key or PAT", "PAT", "session token", or "unavailable" (an
	// AdminAuth method, which no user credential may call).
	Credential string `json:"credential"`
	// Scopes is the union of the methods' scopes: a key with exactly these
	// may call every method.
	Scopes []string `json:"scopes"`
	// Endpoints are the methods that need a scope: a key with these
	// endpoints and no scopes may call every method, and nothing else.
	Endpoints []string `json:"endpoints"`
	// Methods are each method's requirements, sorted by name.
	Methods []leastMethod `json:"methods"`
}

// leastMethod is what one method needs.
type leastMethod struct {
	Method   string   `json:"method"`
	AuthType string   `json:"auth_type"`
	Scopes   []string `json:"scopes"`
}

// runLeast prints the least privilege for o.methods. It reads only the
// descriptors: no key, no network.
func runLeast(ctx context.Context, o *options, stdout io.Writer) (int, error) {
	files, from, err := descriptors(ctx, o)
	if err != nil {
		return exitError, err
	}
	// The catalog resolves every spelling -method accepts to a full name.
	reqs, err := lookupMethods(scopes.NewCatalog(files), o.methods)
	if err != nil {
		return exitError, err
	}
	names := make([]string, len(reqs))
	for i, req := range reqs {
		names[i] = req.Method
	}
	rep, err := fakeapi.LeastPrivilege(files, names...)
	if err != nil {
		var z sanitizer
		return exitError, failf(exitError, "-least: %s", z.text(strings.TrimPrefix(err.Error(), "clarifaifake: ")))
	}
	r := newLeastReport(rep, reqs, from)
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		err = enc.Encode(r)
	} else {
		err = r.writeTable(stdout)
	}
	if err != nil {
		return exitError, failf(exitError, "%v", err)
	}
	if rep.Credential == "unavailable" {
		return exitMissing, nil
	}
	return exitOK, nil
}

// newLeastReport makes rep, and what each method requires, fit to print:
// names from the descriptors are escaped and lists bounded, as for the
// server's text. Methods are listed by name.
func newLeastReport(rep fakeapi.Report, reqs []scopes.Requirement, from string) *leastReport {
	var z sanitizer
	r := &leastReport{
		Descriptors: z.text(from),
		Credential:  z.text(rep.Credential),
		Scopes:      z.list(rep.Scopes),
		Endpoints:   z.list(rep.Endpoints),
		Methods:     []leastMethod{},
	}
	reqs = slices.Clone(reqs)
	slices.SortFunc(reqs, func(a, b scopes.Requirement) int { return strings.Compare(a.Method, b.Method) })
	for _, m := range reqs {
		r.Methods = append(r.Methods, leastMethod{Method: z.text(m.Method), AuthType: z.text(m.AuthType.String()), Scopes: z.list(m.Scopes)})
	}
	return r
}

// writeTable prints r for people.
func (r *leastReport) writeTable(w io.Writer) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Least privilege for %d methods (from %s)\n\n", len(r.Methods), r.Descriptors)
	fmt.Fprintln(tw, "  METHOD\tAUTH\tSCOPES")
	for _, m := range r.Methods {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", m.Method, m.AuthType, orNone(m.Scopes))
	}
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "Credential: %s\n", r.Credential)
	fmt.Fprintf(tw, "Scopes (%d):\n", len(r.Scopes))
	writeList(tw, r.Scopes)
	fmt.Fprintf(tw, "Or endpoints (%d):\n", len(r.Endpoints))
	writeList(tw, r.Endpoints)
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, trimLines(buf.String()))
	return err
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "(none)"
	}
	return strings.Join(list, ", ")
}
