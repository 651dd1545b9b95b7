package main

import (
	"context"
	"fmt"
	"io"
)

func runSandbox(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "sinopay sandbox: not built yet")
	return 1
}
