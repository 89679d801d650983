package catalog

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"unicode"
	"unicode/utf8"
)

// MaxNameLength is the longest namespace, table or view name, in characters.
const MaxNameLength = 128

// ValidateName checks a namespace, table or view name; kind ("namespace",
// "table", "view") names it in the error. A name has 1 to 128 characters, each a
// letter, a digit, '_' or '-', and does not start with '-'. The returned
// error wraps ErrInvalid.
func ValidateName(kind, name string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: %s name %q %s", ErrInvalid, kind, name, why)
	}
	if name == "" {
		return fmt.Errorf("%w: %s name must not be empty", ErrInvalid, kind)
	}
	if !utf8.ValidString(name) {
		return bad("is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(name); n > MaxNameLength {
		return bad(fmt.Sprintf("is %d characters long (at most %d allowed)", n, MaxNameLength))
	}
	if name[0] == '-' {
		return bad("must not start with '-'")
	}
	for _, r := range name {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), r == '_', r == '-':
			continue
		case r == '/' || r == '\\':
			return bad("must not contain path separators ('/' or '\\')")
		case r == '.':
			return bad("must not contain '.'")
		case unicode.IsControl(r):
			return bad("must not contain control characters")
		case unicode.IsSpace(r):
			return bad("must not contain spaces")
		default:
			return bad(fmt.Sprintf("contains %q: only letters, digits, '_' and '-' are allowed", r))
		}
	}
	return nil
}

// tableIDLen is the length of a table id: 16 lowercase hex digits.
const tableIDLen = 16

// newTableID returns a random table id.
func newTableID() (string, error) {
	var b [tableIDLen / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("catalog: table id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// randomSuffix returns a short random hex string for object names.
func randomSuffix() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("catalog: random name: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// isTableID reports whether id is shaped like a table id, so that an id
// given by a caller never addresses other keys.
func isTableID(id string) bool {
	if len(id) != tableIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		if (ch < '0' || ch > '9') && (ch < 'a' || ch > 'f') {
			return false
		}
	}
	return true
}

func sortStrings(s []string) { slices.Sort(s) }
