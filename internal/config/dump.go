package config

import (
	"reflect"
	"regexp"

	"gopkg.in/yaml.v3"
)

const mask = "******"

// Masked returns a copy with every secret replaced, safe to print or log.
func (c Config) Masked() Config {
	maskSecrets(reflect.ValueOf(&c).Elem())
	return c
}

// Dump renders the masked configuration as YAML.
func (c Config) Dump() ([]byte, error) {
	return yaml.Marshal(c.Masked())
}

func maskSecrets(v reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		fv := v.Field(i)
		switch tag := t.Field(i).Tag.Get("secret"); {
		case fv.Kind() == reflect.Struct:
			maskSecrets(fv)
		case tag == "dsn":
			fv.SetString(MaskDSN(fv.String()))
		case tag != "" && fv.Kind() == reflect.Map:
			masked := map[string]string{}
			for _, k := range fv.MapKeys() {
				masked[k.String()] = mask
			}
			fv.Set(reflect.ValueOf(masked))
		case tag != "" && fv.String() != "":
			fv.SetString(mask)
		}
	}
}

var (
	dsnPassword = regexp.MustCompile(`^([^:@/]*):([^@]*)@`)
	urlPassword = regexp.MustCompile(`(://[^:/@]*):([^@]*)@`)
)

// MaskDSN hides the password in a MySQL DSN (user:pass@tcp(...)/db) or URL.
func MaskDSN(dsn string) string {
	if urlPassword.MatchString(dsn) {
		return urlPassword.ReplaceAllString(dsn, "${1}:"+mask+"@")
	}
	return dsnPassword.ReplaceAllString(dsn, "${1}:"+mask+"@")
}
