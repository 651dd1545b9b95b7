//go:build !unix

package funbiz

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
