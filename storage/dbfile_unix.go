//go:build unix

package storage

import "os"

// sameFile reports whether a and b are one file: the same device and
// inode.
func sameFile(a, b os.FileInfo) bool { return os.SameFile(a, b) }
