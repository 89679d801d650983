package lsio

import (
	"fmt"
	"strings"
)

// ValidatePath checks that p is a canonical object path: non-empty,
// relative, slash-separated, without empty, "." or ".." elements, and
// without backslashes or NUL bytes. Every Storage implementation applies it,
// so a path valid for one is valid for all. The error wraps ErrInvalidPath.
func ValidatePath(p string) error {
	if p == "" {
		return fmt.Errorf("%w: empty path", ErrInvalidPath)
	}
	if err := checkChars(p); err != nil {
		return err
	}
	if p[0] == '/' {
		return fmt.Errorf("%w: %q is absolute", ErrInvalidPath, p)
	}
	for elem := range strings.SplitSeq(p, "/") {
		switch elem {
		case "":
			return fmt.Errorf("%w: %q has an empty element", ErrInvalidPath, p)
		case ".", "..":
			return fmt.Errorf("%w: %q has a %q element", ErrInvalidPath, p, elem)
		}
	}
	return nil
}

// validatePrefix checks a List prefix. A prefix is a plain string prefix of
// object paths, so it may end inside an element or with a slash; it may be
// empty. Its complete elements follow the ValidatePath rules.
func validatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if err := checkChars(prefix); err != nil {
		return err
	}
	if prefix[0] == '/' {
		return fmt.Errorf("%w: prefix %q is absolute", ErrInvalidPath, prefix)
	}
	elems := strings.Split(prefix, "/")
	for i, elem := range elems {
		last := i == len(elems)-1
		switch {
		case elem == "" && !last:
			return fmt.Errorf("%w: prefix %q has an empty element", ErrInvalidPath, prefix)
		case (elem == "." || elem == "..") && !last:
			return fmt.Errorf("%w: prefix %q has a %q element", ErrInvalidPath, prefix, elem)
		}
	}
	return nil
}

func checkChars(p string) error {
	if strings.IndexByte(p, '\\') >= 0 {
		return fmt.Errorf("%w: %q contains a backslash", ErrInvalidPath, p)
	}
	if strings.IndexByte(p, 0) >= 0 {
		return fmt.Errorf("%w: %q contains a NUL byte", ErrInvalidPath, p)
	}
	return nil
}
