// Package review looks across visits for what a reviewer should doubt
// (duplicate or near-identical photos, visits too far apart too quickly,
// bursts, missing evidence) and keeps the review of sampled visits.
package review

import (
	"bytes"
	"image"
	_ "image/gif" // decoders for the photos cadres send
	_ "image/jpeg"
	_ "image/png"
	"math/bits"
)

// DHash is a 64-bit difference hash of img: the picture shrunk to 9×8 grey
// cells, one bit per pair of horizontal neighbours (left brighter than
// right). Re-encoding, resizing or mild recompression keeps most bits, so
// near-identical photos are a few bits apart while unrelated ones differ in
// about half. It is computed with box averages in integer arithmetic, so
// the same picture always gives the same hash on every machine.
func DHash(img image.Image) uint64 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w == 0 || h == 0 {
		return 0
	}
	var grey [8][9]uint64
	for cy := range 8 {
		y0, y1 := b.Min.Y+cy*h/8, b.Min.Y+(cy+1)*h/8
		if y1 == y0 {
			y1 = y0 + 1
		}
		for cx := range 9 {
			x0, x1 := b.Min.X+cx*w/9, b.Min.X+(cx+1)*w/9
			if x1 == x0 {
				x1 = x0 + 1
			}
			var sum, n uint64
			// Sample at most 16×16 points per cell: the average of a big
			// photo's cell does not need every pixel.
			sx, sy := max(1, (x1-x0)/16), max(1, (y1-y0)/16)
			for y := y0; y < y1 && y < b.Max.Y; y += sy {
				for x := x0; x < x1 && x < b.Max.X; x += sx {
					r, g, bl, _ := img.At(x, y).RGBA()
					// ITU-R BT.601 luma on 16-bit channels.
					sum += (299*uint64(r) + 587*uint64(g) + 114*uint64(bl)) / 1000
					n++
				}
			}
			if n > 0 {
				grey[cy][cx] = sum / n
			}
		}
	}
	var hash uint64
	for y := range 8 {
		for x := range 8 {
			hash <<= 1
			if grey[y][x] > grey[y][x+1] {
				hash |= 1
			}
		}
	}
	return hash
}

// DHashOf decodes a photo (JPEG, PNG or GIF) and hashes it.
func DHashOf(data []byte) (uint64, error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return 0, err
	}
	return DHash(img), nil
}

// Distance is the number of bits two hashes differ in.
func Distance(a, b uint64) int { return bits.OnesCount64(a ^ b) }
