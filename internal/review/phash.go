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
	luma := lumaOf(img)
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
					sum += luma(x, y)
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

// lumaOf reads a pixel's ITU-R BT.601 luma on a 16-bit scale. A JPEG
// decodes to YCbCr, whose Y plane is that luma already: reading it
// directly spares the colour conversion and an allocation per sample that
// img.At costs (most of the hashing time otherwise).
func lumaOf(img image.Image) func(x, y int) uint64 {
	switch m := img.(type) {
	case *image.YCbCr:
		return func(x, y int) uint64 { return uint64(m.Y[m.YOffset(x, y)]) * 0x101 }
	case *image.Gray:
		return func(x, y int) uint64 { return uint64(m.Pix[m.PixOffset(x, y)]) * 0x101 }
	case *image.RGBA:
		return func(x, y int) uint64 {
			p := m.Pix[m.PixOffset(x, y):]
			return (299*uint64(p[0]) + 587*uint64(p[1]) + 114*uint64(p[2])) * 0x101 / 1000
		}
	}
	return func(x, y int) uint64 {
		r, g, b, _ := img.At(x, y).RGBA()
		return (299*uint64(r) + 587*uint64(g) + 114*uint64(b)) / 1000
	}
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
