package sim

import (
	"encoding/base64"
	"errors"
	"strings"
)

// decodeDataURL reads the data: URL the page sends for an uploaded photo.
func decodeDataURL(s string) ([]byte, string, error) {
	head, data, ok := strings.Cut(s, ",")
	if !ok || !strings.HasPrefix(head, "data:image/") || !strings.HasSuffix(head, ";base64") {
		return nil, "", errors.New("请选择一张图片")
	}
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil || len(b) == 0 {
		return nil, "", errors.New("图片无法读取")
	}
	if len(b) > 10<<20 {
		return nil, "", errors.New("图片超过10MB")
	}
	return b, strings.TrimSuffix(strings.TrimPrefix(head, "data:"), ";base64"), nil
}
