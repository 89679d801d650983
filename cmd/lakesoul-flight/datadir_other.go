//go:build !unix

package main

import "os"

// tryLock always succeeds where flock does not exist: the data directory
// is then not protected against a second server.
func tryLock(*os.File) (bool, error) { return true, nil }

func unlock(*os.File) error { return nil }
