package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// envPrefix starts the environment variable of every flag: --data-dir is
// LAKESOUL_DATA_DIR.
const envPrefix = "LAKESOUL_"

// envName returns the environment variable of a flag.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// applyEnv sets every flag of fs that was not given on the command line from
// its environment variable, when that is set and non-empty. It runs after
// fs.Parse, so a flag wins over the environment and the environment over the
// default. Values are parsed by the flag itself, so errors name both.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || given[f.Name] || len(f.Name) == 1 {
			return
		}
		v := getenv(envName(f.Name))
		if v == "" {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			err = fmt.Errorf("environment %s=%q: %v", envName(f.Name), v, e)
		}
	})
	return err
}

// printFlags writes the flags of fs with their environment variables and
// defaults, group by group in the order the groups list them.
func printFlags(w io.Writer, fs *flag.FlagSet, groups []flagGroup) {
	for _, g := range groups {
		fmt.Fprintf(w, "\n%s:\n", g.title)
		for _, name := range g.flags {
			f := fs.Lookup(name)
			if f == nil {
				continue
			}
			arg, usage := flag.UnquoteUsage(f)
			dash := "--"
			if len(f.Name) == 1 {
				dash = "-"
			}
			line := "  " + dash + f.Name
			if arg != "" {
				line += " " + arg
			}
			fmt.Fprintln(w, line)
			meta := []string{}
			if len(f.Name) > 1 {
				meta = append(meta, "env "+envName(f.Name))
			}
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0s" {
				meta = append(meta, "default "+f.DefValue)
			}
			if len(meta) > 0 {
				usage += " (" + strings.Join(meta, ", ") + ")"
			}
			fmt.Fprintf(w, "        %s\n", usage)
		}
	}
}

// flagGroup is a titled section of the help text.
type flagGroup struct {
	title string
	flags []string
}

// splitList splits a comma-separated list, dropping empty elements.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
