package benchmark

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
)

// BuildServer resolves the bin/server binary a tool starts: path as given
// (made absolute), or, if path is "", one built with the go command into
// dir, announced on log. It reports whether it built one, which the caller
// may remove when done.
func BuildServer(ctx context.Context, path, dir string, log io.Writer) (abs string, built bool, err error) {
	if path == "" {
		path = filepath.Join(dir, "server")
		fmt.Fprintf(log, "building bin/server into %s\n", path)
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", path, "github.com/agora-consensus/agora/bin/server").CombinedOutput(); err != nil {
			return "", false, fmt.Errorf("go build bin/server: %v\n%s", err, out)
		}
		built = true
	}
	abs, err = filepath.Abs(path)
	return abs, built, err
}
