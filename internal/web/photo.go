package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/media"
)

// ServePhoto streams the stored copy of a photo (media key) to a reader the
// caller has already checked. Every page that shows evidence serves its
// photos through here, so each answers the same way: an image type or
// octet-stream (a stored file never runs as a page), nosniff, and a private
// cache — the photos are personal and scoped. fallbackType is the type the
// photo's own row recorded, for a store that kept none.
func ServePhoto(c echo.Context, store media.Store, key, fallbackType string) error {
	rc, obj, err := store.Open(c.Request().Context(), key)
	if err != nil {
		return err
	}
	defer rc.Close()
	ct := obj.ContentType
	if ct == "" {
		ct = fallbackType
	}
	if !strings.HasPrefix(ct, "image/") {
		ct = "application/octet-stream"
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("X-Content-Type-Options", "nosniff")
	if obj.Size > 0 {
		h.Set(echo.HeaderContentLength, strconv.FormatInt(obj.Size, 10))
	}
	return c.Stream(http.StatusOK, ct, rc)
}
