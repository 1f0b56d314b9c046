package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// EnvPrefix starts every environment variable the service reads.
const EnvPrefix = "SHIANBAO_"

// Source says where the YAML layer comes from.
type Source struct {
	// Path is the YAML file to read. Empty means no file.
	Path string
	// Data, when set, is the YAML itself (the embedded default) and Path only names it.
	Data []byte
	// Optional tolerates a missing file (the default path), so the binary
	// runs anywhere on code defaults.
	Optional bool
	// Environ looks up environment variables; nil means os.LookupEnv.
	Environ func(string) (string, bool)
}

// Load builds the effective configuration: defaults, then the file, then
// the environment. It does not validate; call Validate.
func Load(src Source) (Config, error) {
	cfg := Default()
	if src.Data != nil {
		if err := decodeYAML(src.Data, &cfg); err != nil {
			return cfg, fmt.Errorf("config %s: %w", src.Path, err)
		}
	} else if src.Path != "" {
		data, err := os.ReadFile(src.Path)
		switch {
		case err == nil:
			if err := decodeYAML(data, &cfg); err != nil {
				return cfg, fmt.Errorf("config file %s: %w", src.Path, err)
			}
		case errors.Is(err, fs.ErrNotExist) && src.Optional:
		default:
			return cfg, fmt.Errorf("config file: %w", err)
		}
	}
	lookup := src.Environ
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if err := applyEnv(reflect.ValueOf(&cfg).Elem(), EnvPrefix, lookup); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// decodeYAML rejects unknown keys: a misspelt key silently ignored is the
// kind of mistake that costs an operator an afternoon.
func decodeYAML(data []byte, cfg *Config) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(cfg)
}

// applyEnv walks the struct and overrides each field from PREFIX_YAMLPATH.
// A secret field also accepts PREFIX_YAMLPATH_FILE, so secrets can come from
// mounted files rather than the environment.
func applyEnv(v reflect.Value, prefix string, lookup func(string) (string, bool)) error {
	t := v.Type()
	var problems []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if name == "" || name == "-" {
			continue
		}
		key := prefix + strings.ToUpper(name)
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct && fv.Type() != reflect.TypeOf(time.Duration(0)) {
			if err := applyEnv(fv, key+"_", lookup); err != nil {
				problems = append(problems, err.Error())
			}
			continue
		}
		raw, ok := lookup(key)
		if !ok && f.Tag.Get("secret") != "" {
			if path, fok := lookup(key + "_FILE"); fok {
				data, err := os.ReadFile(path)
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s_FILE: cannot read %s", key, path))
					continue
				}
				raw, ok = strings.TrimSpace(string(data)), true
			}
		}
		if !ok {
			continue
		}
		if err := setFromString(fv, raw); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", key, err))
		}
	}
	if len(problems) > 0 {
		return &ValidationError{Problems: problems}
	}
	return nil
}

func setFromString(fv reflect.Value, raw string) error {
	raw = strings.TrimSpace(raw)
	switch fv.Interface().(type) {
	case time.Duration:
		d, err := parseDuration(raw)
		if err != nil {
			return err
		}
		fv.SetInt(int64(d))
		return nil
	}
	switch fv.Kind() {
	case reflect.Map:
		if fv.Type().Key().Kind() != reflect.String || fv.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("cannot be set from the environment")
		}
		m := map[string]string{}
		for _, pair := range strings.Split(raw, ",") {
			if strings.TrimSpace(pair) == "" {
				continue
			}
			k, v, ok := strings.Cut(pair, "=")
			if !ok || strings.TrimSpace(k) == "" {
				return fmt.Errorf("must be name=value pairs separated by commas")
			}
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
		fv.Set(reflect.ValueOf(m))
	case reflect.String:
		fv.SetString(raw)
	case reflect.Bool:
		b, err := parseBool(raw)
		if err != nil {
			return err
		}
		fv.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return fmt.Errorf("must be a whole number, got %q", raw)
		}
		fv.SetInt(n)
	case reflect.Float64:
		n, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return fmt.Errorf("must be a number, got %q", raw)
		}
		fv.SetFloat(n)
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}

// parseDuration accepts Go durations (5m, 1h30m) and a bare 0.
func parseDuration(raw string) (time.Duration, error) {
	if raw == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		return 0, fmt.Errorf("must be a duration such as 5m or 30s, got %q", raw)
	}
	return d, nil
}

func parseBool(raw string) (bool, error) {
	switch strings.ToLower(raw) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off", "":
		return false, nil
	}
	return false, fmt.Errorf("must be on or off (true/false), got %q", raw)
}
