// Command cmd talks to a running cluster:
//
//	cmd -id 1.1 put k v      one-shot
//	cmd -id 1.1 get k
//	cmd -id 1.1 delete k
//	cmd -id 1.1              an interactive prompt reading the same commands
//
// It connects to the binary client port of the replica named by -id in
// -config, or to -addr directly. Flags come before the command; everything
// after the key of a put is its value (put k -5, put k hello world).
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode"

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
	// Flags end at the command, so that put k -5 stores "-5".
	fs.SetInterspersed(false)
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
		line := splitLine(in.Text())
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

// splitLine splits a prompt line into the command, the key and the rest of
// the line, which put takes as its value with its inner spaces kept.
func splitLine(line string) []string {
	var words []string
	rest := strings.TrimSpace(line)
	for len(words) < 2 && rest != "" {
		i := strings.IndexFunc(rest, unicode.IsSpace)
		if i < 0 {
			i = len(rest)
		}
		words = append(words, rest[:i])
		rest = strings.TrimSpace(rest[i:])
	}
	if rest != "" {
		words = append(words, rest)
	}
	return words
}

// do runs one command given as words, e.g. ["put", "k", "v"].
func do(c *client.Client, words []string, timeout time.Duration) (string, error) {
	op, err := paxi.ParseOp(words[0])
	if err != nil {
		return "", err
	}
	if op == paxi.Put && len(words) < 3 || op != paxi.Put && len(words) != 2 {
		return "", fmt.Errorf("usage: get KEY | put KEY VALUE | delete KEY")
	}
	cmd := paxi.Command{Op: op, Key: words[1]}
	if op == paxi.Put {
		cmd.Value = strings.Join(words[2:], " ") // the rest of the line is the value
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
