// Package wechat is the platform adapter: the Official Account callback
// (URL verification, signatures in constant time, replay window, AES
// decryption and encryption, dedupe of platform retries, per-user ordering
// and the 5-second reply budget), the outbound API client (token shared by
// instances, sends, media, OAuth) with one normalised error type, and WeCom
// (group-robot sender and smart-robot callback). It is the only package that
// imports github.com/silenceper/wechat; the rest of the service sees the
// plain types of package chat.
package wechat
