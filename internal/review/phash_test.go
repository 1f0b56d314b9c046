package review

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"
)

// scene draws a picture with structure, as a shop photo has: a gradient
// in a random direction and a dozen boxes of random colours (counters,
// shelves, windows), from a seed.
func scene(seed uint64, w, h int) image.Image {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	gx, gy := r.IntN(200)-100, r.IntN(200)-100
	for y := range h {
		for x := range w {
			v := uint8(128 + (gx*x/w+gy*y/h)/2)
			img.Set(x, y, color.RGBA{v, v, v, 255})
		}
	}
	for range 12 {
		x0, y0 := r.IntN(w), r.IntN(h)
		x1, y1 := min(w, x0+w/8+r.IntN(w/3)), min(h, y0+h/8+r.IntN(h/3))
		c := color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				img.Set(x, y, c)
			}
		}
	}
	return img
}

func jpegOf(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// halve shrinks a picture to half its size by averaging 2×2 blocks, as a
// phone's "send smaller" does.
func halve(img image.Image) image.Image {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()/2, b.Dy()/2))
	for y := range b.Dy() / 2 {
		for x := range b.Dx() / 2 {
			var r, g, bl uint32
			for _, p := range [][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
				cr, cg, cb, _ := img.At(b.Min.X+2*x+p[0], b.Min.Y+2*y+p[1]).RGBA()
				r, g, bl = r+cr, g+cg, bl+cb
			}
			out.Set(x, y, color.RGBA64{uint16(r / 4), uint16(g / 4), uint16(bl / 4), 0xffff})
		}
	}
	return out
}

func TestDHashNearIdenticalPhotos(t *testing.T) {
	for seed := range uint64(20) {
		orig := scene(seed, 640, 480)
		a, err := DHashOf(jpegOf(t, orig, 92))
		if err != nil {
			t.Fatal(err)
		}
		// The same photo re-encoded at another size and quality.
		b, err := DHashOf(jpegOf(t, halve(orig), 55))
		if err != nil {
			t.Fatal(err)
		}
		if d := Distance(a, b); d > 4 {
			t.Errorf("scene %d: re-encoded at half size is %d bits away, want ≤ 4", seed, d)
		}
		var p bytes.Buffer
		if err := png.Encode(&p, orig); err != nil {
			t.Fatal(err)
		}
		c, err := DHashOf(p.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if d := Distance(a, c); d > 4 {
			t.Errorf("scene %d: the PNG of it is %d bits away, want ≤ 4", seed, d)
		}
	}
}

func TestDHashTellsDifferentPhotosApart(t *testing.T) {
	far := 0
	for seed := range uint64(20) {
		a := DHash(scene(seed, 640, 480))
		b := DHash(scene(seed+100, 640, 480))
		if Distance(a, b) > 10 {
			far++
		}
	}
	// Scenes of one kind share a layout, so a few may be close; most must not.
	if far < 16 {
		t.Errorf("only %d of 20 pairs of different scenes are more than 10 bits apart", far)
	}
}

func TestDHashOfRejectsWhatIsNotAPicture(t *testing.T) {
	if _, err := DHashOf([]byte("not a picture")); err == nil {
		t.Error("DHashOf(text) gave no error")
	}
}

func TestIndexFindsExactlyTheNearOnes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, k := range []int{0, 3, 6, 10} {
		ix := NewIndex(k)
		var all []Hashed
		for i := range 5000 {
			h := r.Uint64()
			if i%10 == 0 && i > 0 {
				// A near copy of an earlier one: flip up to k+2 bits.
				h = all[r.IntN(len(all))].Hash
				for range r.IntN(k + 3) {
					h ^= 1 << r.IntN(64)
				}
			}
			e := Hashed{PhotoID: int64(i + 1), Hash: h}
			all = append(all, e)
			ix.Add(e)
		}
		for q := range 300 {
			h := all[r.IntN(len(all))].Hash
			if q%2 == 1 {
				h ^= 1 << r.IntN(64)
			}
			var want []int64
			for _, e := range all {
				if Distance(e.Hash, h) <= k {
					want = append(want, e.PhotoID)
				}
			}
			got := ix.Near(h)
			if len(got) != len(want) {
				t.Fatalf("k=%d: Near found %d, brute force %d", k, len(got), len(want))
			}
			for i := range got {
				if got[i].PhotoID != want[i] {
					t.Fatalf("k=%d: Near[%d] = photo %d, want %d", k, i, got[i].PhotoID, want[i])
				}
			}
		}
	}
}

// BenchmarkHashPhotos measures hashing 10,000 phone-sized JPEGs
// (decode + hash), the cost of hashing a district's photo history.
func BenchmarkHashPhotos(b *testing.B) {
	photos := make([][]byte, 16)
	for i := range photos {
		photos[i] = jpegOf(b, scene(uint64(i), 1280, 960), 85)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := DHashOf(photos[i%len(photos)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDHashDecoded measures the hash alone on a decoded phone-sized
// JPEG, to tell the hashing from the decoding in BenchmarkHashPhotos.
func BenchmarkDHashDecoded(b *testing.B) {
	img, _, err := image.Decode(bytes.NewReader(jpegOf(b, scene(1, 1280, 960), 85)))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		DHash(img)
	}
}

// BenchmarkNearAtAMillion looks up one new photo against a million stored
// hashes, with the band index and with a BK-tree, at distance 6.
func BenchmarkNearAtAMillion(b *testing.B) {
	const n, k = 1_000_000, 6
	r := rand.New(rand.NewPCG(3, 4))
	hashes := make([]uint64, n)
	for i := range hashes {
		hashes[i] = r.Uint64()
	}
	b.Run("bands", func(b *testing.B) {
		ix := NewIndex(k)
		for i, h := range hashes {
			ix.Add(Hashed{PhotoID: int64(i), Hash: h})
		}
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			ix.Near(hashes[i%n] ^ 0b101)
		}
	})
	b.Run("bktree", func(b *testing.B) {
		var t bkTree
		for _, h := range hashes {
			t.add(h)
		}
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			t.near(hashes[i%n]^0b101, k)
		}
	})
}
