// Package version holds the library's version, in one place.
package version

// Version is this module's version, sent in the default request tag.
const Version = "0.3.0"
