package web

import (
	"net/url"
	"strconv"
)

func formatFloat(f float64, prec int) string { return strconv.FormatFloat(f, 'f', prec, 64) }

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
