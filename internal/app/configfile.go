package app

import (
	"os"

	"github.com/shianbao/shianbao/configs"
	"github.com/shianbao/shianbao/internal/config"
)

// DefaultConfigFile is where the configuration is read from unless a
// command is given another file.
const DefaultConfigFile = configs.DefaultFile

// LoadConfig reads and validates the configuration from path, with
// environ's SHIANBAO_* variables over it. A path not named explicitly
// that does not exist (the binary run outside the repository) gives the
// embedded default instead.
func LoadConfig(path string, explicit bool, environ func(string) (string, bool)) (config.Config, error) {
	src := config.Source{Path: path, Environ: environ}
	if !explicit {
		if _, err := os.Stat(path); err != nil {
			data, err := configs.FS.ReadFile("shianbao.yaml")
			if err != nil {
				return config.Config{}, err
			}
			src = config.Source{Path: "embedded " + configs.DefaultFile, Data: data, Environ: environ}
		}
	}
	cfg, err := config.Load(src)
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}
