package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/configs"
	"github.com/shianbao/shianbao/internal/config"
)

// s3Env is a complete s3 media configuration from the environment.
func s3Env() map[string]string {
	return map[string]string{
		"SHIANBAO_MEDIA_DRIVER":        "s3",
		"SHIANBAO_MEDIA_S3_ENDPOINT":   "https://oss-cn-hangzhou.aliyuncs.com",
		"SHIANBAO_MEDIA_S3_BUCKET":     "binhu-shianbao",
		"SHIANBAO_MEDIA_S3_REGION":     "oss-cn-hangzhou",
		"SHIANBAO_MEDIA_S3_PATH_STYLE": "false",
		"SHIANBAO_MEDIA_S3_PREFIX":     "shianbao/media",
		"SHIANBAO_MEDIA_S3_ACCESS_KEY": "LTAI5tAccessKeyId",
		"SHIANBAO_MEDIA_S3_SECRET_KEY": "the-secret-access-key",
	}
}

func TestMedia(t *testing.T) {
	t.Run("EmbeddedDefaultIsLocal", func(t *testing.T) {
		data, err := configs.FS.ReadFile("shianbao.yaml")
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(config.Source{Data: data, Environ: envOf(nil)})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Media.Driver != "local" || cfg.Media.Dir == "" || config.Default().Media.Driver != "local" {
			t.Fatalf("media = %+v", cfg.Media)
		}
	})
	t.Run("S3FromEnvironment", func(t *testing.T) {
		cfg, err := config.Load(config.Source{Environ: envOf(s3Env())})
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		s3 := cfg.Media.S3
		if cfg.Media.Driver != "s3" || s3.Endpoint != "https://oss-cn-hangzhou.aliyuncs.com" || s3.Bucket != "binhu-shianbao" ||
			s3.Region != "oss-cn-hangzhou" || s3.PathStyle || s3.Prefix != "shianbao/media" || s3.AccessKey != "LTAI5tAccessKeyId" || s3.SecretKey != "the-secret-access-key" {
			t.Fatalf("media = %+v", cfg.Media)
		}
	})
	t.Run("KeysFromFiles", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "ak"), []byte("ak-from-file\n"), 0o600)
		os.WriteFile(filepath.Join(dir, "sk"), []byte("sk-from-file\n"), 0o600)
		env := s3Env()
		delete(env, "SHIANBAO_MEDIA_S3_ACCESS_KEY")
		delete(env, "SHIANBAO_MEDIA_S3_SECRET_KEY")
		env["SHIANBAO_MEDIA_S3_ACCESS_KEY_FILE"] = filepath.Join(dir, "ak")
		env["SHIANBAO_MEDIA_S3_SECRET_KEY_FILE"] = filepath.Join(dir, "sk")
		cfg, err := config.Load(config.Source{Environ: envOf(env)})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Media.S3.AccessKey != "ak-from-file" || cfg.Media.S3.SecretKey != "sk-from-file" {
			t.Fatalf("keys = %q %q", cfg.Media.S3.AccessKey, cfg.Media.S3.SecretKey)
		}
	})
	t.Run("DumpMasksKeys", func(t *testing.T) {
		cfg, err := config.Load(config.Source{Environ: envOf(s3Env())})
		if err != nil {
			t.Fatal(err)
		}
		out, err := cfg.Dump()
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"LTAI5tAccessKeyId", "the-secret-access-key"} {
			if strings.Contains(string(out), secret) {
				t.Errorf("dump shows %q:\n%s", secret, out)
			}
		}
		if !strings.Contains(string(out), "binhu-shianbao") || !strings.Contains(string(out), "access_key: '******'") {
			t.Errorf("dump does not show the bucket and a masked key:\n%s", out)
		}
	})
	t.Run("EveryS3ProblemListed", func(t *testing.T) {
		cfg := config.Default()
		cfg.Media.Driver = "s3"
		cfg.Media.Dir = ""
		cfg.Media.S3 = config.MediaS3{Endpoint: "minio:9000", Bucket: "Media_Bucket", Region: "华东", Prefix: "../x"}
		var ve *config.ValidationError
		if err := cfg.Validate(); !errors.As(err, &ve) {
			t.Fatalf("err = %v", err)
		}
		want := []string{"SHIANBAO_MEDIA_S3_ENDPOINT", "SHIANBAO_MEDIA_S3_BUCKET", "SHIANBAO_MEDIA_S3_REGION", "SHIANBAO_MEDIA_S3_PREFIX",
			"SHIANBAO_MEDIA_S3_ACCESS_KEY", "SHIANBAO_MEDIA_S3_SECRET_KEY"}
		if len(ve.Problems) != len(want) {
			t.Fatalf("want %d problems, got:\n%v", len(want), ve)
		}
		for i, key := range want {
			if !strings.Contains(ve.Problems[i], key) {
				t.Errorf("problem %d does not name %s: %s", i, key, ve.Problems[i])
			}
		}
	})
	t.Run("Endpoints", func(t *testing.T) {
		for endpoint, ok := range map[string]bool{
			"https://cos.ap-guangzhou.myqcloud.com": true,
			"http://minio.internal:9000":            true,
			"http://minio:9000":                     false, // a one-word host needs path_style
			"http://127.0.0.1:8333/":                false, // so does an IP address
			"":                                      false,
			"minio:9000":                            false,
			"https://oss.example.com/bucket":        false,
			"https://ak:sk@oss.example.com":         false,
			"ftp://oss.example.com":                 false,
		} {
			cfg, err := config.Load(config.Source{Environ: envOf(s3Env())})
			if err != nil {
				t.Fatal(err)
			}
			cfg.Media.S3.Endpoint = endpoint
			err = cfg.Validate()
			if got := err == nil; got != ok {
				t.Errorf("endpoint %q: %v", endpoint, err)
			}
			if err != nil && strings.Contains(err.Error(), "ak:sk") {
				t.Errorf("problem shows the endpoint's credentials: %v", err)
			}
		}
	})
	t.Run("PathStyleEndpoints", func(t *testing.T) {
		for _, endpoint := range []string{"http://minio:9000", "http://127.0.0.1:8333", "http://[::1]:9000"} {
			cfg, err := config.Load(config.Source{Environ: envOf(s3Env())})
			if err != nil {
				t.Fatal(err)
			}
			cfg.Media.S3.Endpoint = endpoint
			if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "SHIANBAO_MEDIA_S3_PATH_STYLE") {
				t.Errorf("%s virtual-host style: %v", endpoint, err)
			}
			cfg.Media.S3.PathStyle = true
			if err := cfg.Validate(); err != nil {
				t.Errorf("%s path-style: %v", endpoint, err)
			}
		}
	})
	t.Run("ErrUnknownDriver", func(t *testing.T) {
		cfg := config.Default()
		cfg.Media.Driver = "nfs"
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "SHIANBAO_MEDIA_DRIVER") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("LocalNeedsNoBucket", func(t *testing.T) {
		if err := config.Default().Validate(); err != nil {
			t.Fatal(err)
		}
		cfg := config.Default()
		cfg.Media.Dir = ""
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "media.dir") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ValidateMediaS3", func(t *testing.T) {
		// A migration checks the bucket settings while the driver is still local.
		cfg := config.Default()
		var ve *config.ValidationError
		if err := cfg.ValidateMediaS3(); !errors.As(err, &ve) || len(ve.Problems) != 4 {
			t.Fatalf("err = %v", err)
		}
		loaded, err := config.Load(config.Source{Environ: envOf(s3Env())})
		if err != nil {
			t.Fatal(err)
		}
		loaded.Media.Driver = "local"
		if err := loaded.ValidateMediaS3(); err != nil {
			t.Fatal(err)
		}
	})
}
