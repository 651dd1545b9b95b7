//go:build !unix

package storage

import "os"

// sameFile cannot tell files apart here: os.SameFile on Windows looks a
// file up again by its name, which would find the new file for the old.
// Only a file that is gone is noticed.
func sameFile(a, b os.FileInfo) bool { return true }
