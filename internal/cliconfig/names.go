package cliconfig

import (
	"strconv"
	"strings"
)

// maxNameLen bounds a printable name: a context name is a word or two, a
// PAT is 32 characters.
const maxNameLen = 24

// maxListed bounds how many names an error lists.
const maxListed = 8

// PrintableName reports whether a name read from the file (or given by a
// caller) may appear in an error or a description: 1 to 24 ASCII letters,
// digits, '-', '_' and '.', with no run of 16 or more letters and digits
// that holds a digit (the shape of a PAT, an API key or a token). Anything
// else might be a secret pasted in the wrong spot, and is not printed.
func PrintableName(name string) bool {
	if name == "" || len(name) > maxNameLen {
		return false
	}
	run, digit := 0, false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
			run++
		case '0' <= c && c <= '9':
			run++
			digit = true
		case c == '-' || c == '_' || c == '.':
			run, digit = 0, false
			continue
		default:
			return false
		}
		if run >= 16 && digit {
			return false
		}
	}
	return true
}

// DescribeName returns name quoted if PrintableName allows it, else a
// placeholder that says why it is not shown.
func DescribeName(name string) string {
	if PrintableName(name) {
		return strconv.Quote(name)
	}
	return "(a name not shown: it could be a secret)"
}

// DescribeNames lists names for an error: the printable ones in file order,
// at most a few, then how many more there are.
func DescribeNames(names []string) string {
	var shown []string
	hidden := 0
	for _, n := range names {
		if PrintableName(n) && len(shown) < maxListed {
			shown = append(shown, n)
		} else {
			hidden++
		}
	}
	s := strings.Join(shown, ", ")
	if hidden > 0 {
		if s != "" {
			s += " and "
		}
		s += strconv.Itoa(hidden) + " more not shown"
	}
	return s
}

// scrub makes a YAML library message safe to print: every quoted span
// ('…', "…", `…`) becomes an ellipsis, so the message keeps its line number
// and words but quotes nothing from the file; line breaks and other control
// characters become spaces; the whole is cut to a few hundred bytes.
func scrub(msg string) string {
	const max = 300
	var b strings.Builder
	var open byte
	for i := 0; i < len(msg) && b.Len() < max; i++ {
		c := msg[i]
		switch {
		case open != 0 && c == open:
			open = 0
			b.WriteString("…")
			b.WriteByte(c)
		case open != 0:
		case c == '\'' || c == '"' || c == '`':
			open = c
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			b.WriteByte(' ')
		case c >= 0x80:
			b.WriteByte('?')
		default:
			b.WriteByte(c)
		}
	}
	if open != 0 {
		b.WriteString("…")
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
