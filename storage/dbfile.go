package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/sinopay/sinopay/shop"
)

// The SQLite file at the configured path is no longer the one the shop
// opened. An open SQLite database keeps working on the file it opened
// even after that file is removed or renamed over: every write then
// succeeds into a file nobody will open again, and a restart opens
// (or creates) whatever is at the path. CheckFile tells it, so that
// nothing is acknowledged into such a file.
var (
	// ErrFileGone: nothing is at the path any more (the file or its
	// folder was removed or moved away).
	ErrFileGone = errors.New("database file is gone")
	// ErrFileReplaced: another file is at the path.
	ErrFileReplaced = errors.New("database file was replaced by another file")
)

// fileWatch remembers which file a SQLite database opened, and the last
// state CheckFile found, so that it logs once per change of state rather
// than once per request. A file that comes back (moved away and back) is
// fine again: the pool opens no new file meanwhile (mode=rw). A replaced
// file stays replaced until a restart, since the pool may have opened
// connections on the other file while it was there, which would stay on
// it if the original were put back. Safe for concurrent use.
type fileWatch struct {
	path   string      // absolute
	opened os.FileInfo // the file at open

	mu   sync.Mutex
	last error // what the last check found; nil is fine
}

// watchFile records the file at path, which was just opened.
func watchFile(path string) (*fileWatch, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, err
	}
	return &fileWatch{path: abs, opened: fi}, nil
}

// check stats the path and compares it with the file opened. A stat is
// cheaper than any query, so it is made every time: a cached answer would
// let a notification be acknowledged in the moment after the file went.
func (w *fileWatch) check(log *slog.Logger) error {
	w.mu.Lock()
	replaced := errors.Is(w.last, ErrFileReplaced)
	w.mu.Unlock()
	if replaced {
		return shop.Wrap(shop.Unavailable, "error.unavailable", ErrFileReplaced, "%s", w.path)
	}
	var err error
	switch fi, serr := os.Stat(w.path); {
	case errors.Is(serr, fs.ErrNotExist) || errors.Is(serr, syscall.ENOTDIR):
		err = ErrFileGone
	case serr != nil:
		err = fmt.Errorf("cannot check the database file: %w", serr)
	case !sameFile(w.opened, fi):
		err = ErrFileReplaced
	}
	w.mu.Lock()
	changed := errString(err) != errString(w.last)
	w.last = err
	w.mu.Unlock()
	if changed && log != nil {
		switch {
		case errors.Is(err, ErrFileGone):
			log.Error(fmt.Sprintf("database file %s is gone: refusing payments; restore it or restart on the right file", w.path),
				"path", w.path,
				"hint", fmt.Sprintf("until this process ends, the removed file and its -wal are still open: on Linux, ls -l /proc/%d/fd shows them (deleted), to copy out", os.Getpid()))
		case errors.Is(err, ErrFileReplaced):
			log.Error(fmt.Sprintf("database file %s was replaced by another file: refusing payments until a restart, which opens the file now there", w.path),
				"path", w.path)
		case err != nil:
			log.Error(fmt.Sprintf("database file %s cannot be checked: refusing payments", w.path), "path", w.path, "error", err)
		default:
			log.Warn(fmt.Sprintf("database file %s is back: taking payments again", w.path), "path", w.path)
		}
	}
	if err != nil {
		return shop.Wrap(shop.Unavailable, "error.unavailable", err, "%s", w.path)
	}
	return nil
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// CheckFile reports whether the SQLite file at the configured path is
// still the one the database opened: an Unavailable error wrapping
// ErrFileGone or ErrFileReplaced (or the stat's failure) otherwise. It
// logs (Log) at ERROR once when the file goes, and once when it comes
// back; a replaced file stays so until a restart. Always nil for PostgreSQL and in-memory SQLite. It makes one
// stat, no query, so it is cheap enough for every request that writes.
func (db *DB) CheckFile() error {
	if db.file == nil {
		return nil
	}
	return db.file.check(db.Log)
}
