package main

import (
	"context"
	"flag"
	"io"

	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/config"
)

// flagSet is a command's flags plus the -config every command shares.
type flagSet struct {
	*flag.FlagSet
	configPath *string
}

func newFlagSet(name string, e env) flagSet {
	fs := flag.NewFlagSet("shianbao "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	p := fs.String("config", app.DefaultConfigFile, "configuration file (YAML)")
	return flagSet{FlagSet: fs, configPath: p}
}

// parse accepts flags before and after positional arguments
// (`export businesses --format csv` as well as `export --format csv businesses`),
// because operators type both.
func (fs flagSet) parse(args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// load reads the configuration: the named file, or the embedded default
// when the default path does not exist (the binary run outside the repo).
func (fs flagSet) load(e env) (config.Config, error) {
	explicit := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "config" {
			explicit = true
		}
	})
	return app.LoadConfig(*fs.configPath, explicit, e.lookup)
}

// open reads the configuration and opens the services it names, for the
// commands that work on the database (serve uses app.New instead). They
// log nothing: what a command does is on its standard output.
func (fs flagSet) open(ctx context.Context, e env) (*app.Services, error) {
	cfg, err := fs.load(e)
	if err != nil {
		return nil, err
	}
	return app.Open(ctx, cfg, app.Options{LogOutput: io.Discard})
}
