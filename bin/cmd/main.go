// Command cmd talks to a running cluster:
//
//	cmd -id 1.1 put k v      one-shot
//	cmd -id 1.1 get k
//	cmd -id 1.1 delete k
//	cmd -id 1.1              an interactive prompt reading the same commands
//
// It connects to the binary client port of the replica named by -id in
// -config, or to -addr directly.
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/agora-consensus/agora/internal/cli"
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/client"
	"github.com/spf13/pflag"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("cmd", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "config.json", "cluster configuration file")
	id := fs.String("id", "1.1", "replica to talk to")
	addr := fs.String("addr", "", "client address to dial instead of looking -id up in -config")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for each reply")
	if err := cli.Parse(fs, args); err != nil {
		return 2
	}
	target := *addr
	if target == "" {
		cfg, err := paxi.LoadConfig(*configPath)
		if err != nil {
			fmt.Fprintln(stderr, "cmd:", err)
			return 2
		}
		rid, err := paxi.ParseID(*id)
		if err != nil {
			fmt.Fprintln(stderr, "cmd: -id:", err)
			return 2
		}
		r, ok := cfg.Replica(rid)
		if !ok || r.Client == "" {
			fmt.Fprintf(stderr, "cmd: replica %s has no client address in %s\n", rid, *configPath)
			return 2
		}
		target = r.Client
	}
	c, err := client.Dial(target)
	if err != nil {
		fmt.Fprintln(stderr, "cmd:", err)
		return 1
	}
	defer c.Close()
	if fs.NArg() > 0 {
		out, err := do(c, fs.Args(), *timeout)
		if err != nil {
			fmt.Fprintln(stderr, "cmd:", err)
			return 1
		}
		fmt.Fprintln(stdout, out)
		return 0
	}
	return prompt(c, stdin, stdout, *timeout)
}

// prompt reads commands line by line until EOF or "quit".
func prompt(c *client.Client, stdin io.Reader, stdout io.Writer, timeout time.Duration) int {
	in := bufio.NewScanner(stdin)
	fmt.Fprint(stdout, "> ")
	for in.Scan() {
		line := strings.Fields(in.Text())
		switch {
		case len(line) == 0:
		case line[0] == "quit" || line[0] == "exit":
			return 0
		case line[0] == "help":
			fmt.Fprintln(stdout, "get KEY | put KEY VALUE | delete KEY | quit")
		default:
			out, err := do(c, line, timeout)
			if err != nil {
				fmt.Fprintln(stdout, "error:", err)
			} else {
				fmt.Fprintln(stdout, out)
			}
		}
		fmt.Fprint(stdout, "> ")
	}
	fmt.Fprintln(stdout)
	return 0
}

// do runs one command given as words, e.g. ["put", "k", "v"].
func do(c *client.Client, words []string, timeout time.Duration) (string, error) {
	op, err := paxi.ParseOp(words[0])
	if err != nil {
		return "", err
	}
	want := map[paxi.Op]int{paxi.Get: 2, paxi.Put: 3, paxi.Delete: 2}[op]
	if len(words) != want {
		return "", fmt.Errorf("usage: get KEY | put KEY VALUE | delete KEY")
	}
	cmd := paxi.Command{Op: op, Key: words[1]}
	if op == paxi.Put {
		cmd.Value = words[2]
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	r, err := c.Do(ctx, cmd)
	if err != nil {
		return "", err
	}
	if op == paxi.Get {
		return r.Value, nil
	}
	return "OK", nil
}
