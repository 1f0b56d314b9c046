package config

import (
	"reflect"
	"sort"
	"strings"
	"time"
)

// EnvNames lists every environment variable the service reads, sorted: one
// per setting (SHIANBAO_HTTP_ADDR) and, for a secret, its _FILE twin. A
// deployment file can be checked against it, so a misspelt variable — which
// the service would silently ignore — fails a test instead of a rollout.
func EnvNames() []string {
	var names []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if name == "" || name == "-" {
				continue
			}
			key := prefix + strings.ToUpper(name)
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Duration(0)) {
				walk(f.Type, key+"_")
				continue
			}
			names = append(names, key)
			if f.Tag.Get("secret") != "" {
				names = append(names, key+"_FILE")
			}
		}
	}
	walk(reflect.TypeOf(Config{}), EnvPrefix)
	sort.Strings(names)
	return names
}
