package sim

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
)

// Media kept on disk. The platform keeps a user's photo for three days;
// the fake keeps what it holds in memory and, given a directory, on disk
// too, so a photo sent in the simulator is still there for the service to
// fetch after the embedded default restarts.

// diskMediaID are the media ids stored on disk: safe as file names.
var diskMediaID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// SetMediaDir keeps media under dir from now on (created if missing), and
// serves what an earlier run stored there.
func (f *FakeAPI) SetMediaDir(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mediaDir = dir
	return nil
}

// storeMedium keeps m under id, in memory and on disk; the caller holds f.mu.
func (f *FakeAPI) storeMedium(id string, m medium) {
	f.media[id] = m
	if f.mediaDir == "" || !diskMediaID.MatchString(id) {
		return
	}
	// A failed write leaves the medium in memory only: the simulator
	// works on, and only a restart would lose it.
	path := filepath.Join(f.mediaDir, id)
	if writeFile(path+".type", []byte(m.contentType)) == nil {
		writeFile(path, m.data)
	}
}

// loadMedium finds id in memory or on disk; the caller holds f.mu.
func (f *FakeAPI) loadMedium(id string) (medium, bool) {
	if m, ok := f.media[id]; ok {
		return m, true
	}
	if f.mediaDir == "" || !diskMediaID.MatchString(id) {
		return medium{}, false
	}
	path := filepath.Join(f.mediaDir, id)
	data, err := os.ReadFile(path)
	if err != nil {
		return medium{}, false
	}
	ctype, err := os.ReadFile(path + ".type")
	if err != nil {
		return medium{}, false
	}
	m := medium{data: data, contentType: string(ctype)}
	f.media[id] = m
	return m, true
}

// writeFile writes data to path through a temporary file, so a reader
// never sees half a photo.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	if err := errors.Join(werr, tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
