package main

import (
	"flag"
	"os"

	"github.com/shianbao/shianbao/configs"
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
	p := fs.String("config", configs.DefaultFile, "configuration file (YAML)")
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
	path := *fs.configPath
	explicit := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "config" {
			explicit = true
		}
	})
	if !explicit {
		if _, err := os.Stat(path); err != nil {
			return loadEmbedded(e)
		}
	}
	cfg, err := config.Load(config.Source{Path: path, Environ: e.lookup})
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

func loadEmbedded(e env) (config.Config, error) {
	data, err := configs.FS.ReadFile("shianbao.yaml")
	if err != nil {
		return config.Config{}, err
	}
	cfg, err := config.Load(config.Source{Path: "embedded " + configs.DefaultFile, Data: data, Environ: e.lookup})
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}
