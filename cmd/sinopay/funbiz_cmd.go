package main

import (
	"context"
	"fmt"
	"io"
)

func runFunbiz(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "sinopay funbiz: not built yet")
	return 1
}
